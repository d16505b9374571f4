{{/*
Cross-field rules the schema cannot express well; each message says what to set.
Included once, from configmap.yaml (rendered in every configuration).
*/}}
{{- define "gharts.validate" -}}
{{- $v := .Values }}
{{- if eq $v.database.type "sqlite" }}
  {{- if or (gt (int $v.backend.replicaCount) 1) $v.backend.autoscaling.enabled }}
    {{- fail "database.type=sqlite runs exactly one backend replica: set backend.replicaCount=1 and backend.autoscaling.enabled=false, or use database.type=postgres" }}
  {{- end }}
{{- else }}
  {{- $pg := $v.database.postgres }}
  {{- if and (not $pg.existingSecret) (not $pg.url) }}
    {{- fail "database.type=postgres needs the URL: set database.postgres.existingSecret (a Secret with key database.postgres.existingSecretKey), or database.postgres.url for development" }}
  {{- end }}
  {{- if and $pg.existingSecret $pg.url }}
    {{- fail "set either database.postgres.existingSecret or database.postgres.url, not both" }}
  {{- end }}
{{- end }}
{{- range $name, $s := dict "auth.bootstrapAdmin" (dict "existing" $v.auth.bootstrapAdmin.existingSecret "inline" $v.auth.bootstrapAdmin.password) "auth.sessionSecret" (dict "existing" $v.auth.sessionSecret.existingSecret "inline" $v.auth.sessionSecret.value) "auth.oidc.clientSecret" (dict "existing" $v.auth.oidc.clientSecret.existingSecret "inline" $v.auth.oidc.clientSecret.value) }}
  {{- if and $s.existing $s.inline }}
    {{- fail (printf "%s: set either existingSecret or the inline value, not both" $name) }}
  {{- end }}
{{- end }}
{{- if and $v.metrics.token.existingSecret $v.metrics.token.value }}
  {{- fail "metrics.token: set either existingSecret or the inline value, not both" }}
{{- end }}
{{- if and $v.routing.exposeMetrics (not $v.metrics.token.existingSecret) (not $v.metrics.token.value) }}
  {{- fail "routing.exposeMetrics=true publishes /metrics: set metrics.token (existingSecret or value) so it needs a bearer token" }}
{{- end }}
{{- if and $v.auth.sessionSecret.value (lt (len $v.auth.sessionSecret.value) 32) }}
  {{- fail "auth.sessionSecret.value must be at least 32 characters" }}
{{- end }}
{{- if $v.auth.oidc.enabled }}
  {{- if not $v.auth.oidc.issuer }}
    {{- fail "auth.oidc.enabled=true needs auth.oidc.issuer (the issuer URL)" }}
  {{- end }}
  {{- $replicas := ternary $v.backend.autoscaling.minReplicas $v.backend.replicaCount $v.backend.autoscaling.enabled }}
  {{- if and $v.auth.oidc.clientId (or (gt (int $replicas) 1) $v.backend.autoscaling.enabled) (not $v.auth.sessionSecret.existingSecret) (not $v.auth.sessionSecret.value) }}
    {{- fail "browser SSO (auth.oidc.clientId) with more than one backend replica needs a shared auth.sessionSecret (existingSecret or value, >= 32 characters)" }}
  {{- end }}
{{- end }}
{{- $gh := $v.github }}
{{- if $gh.appId }}
  {{- if not $gh.org }}
    {{- fail "github.appId is set: set github.org (the organisation whose runners GHARTS manages)" }}
  {{- end }}
  {{- if not $gh.privateKey.existingSecret }}
    {{- fail "github.appId is set: set github.privateKey.existingSecret (a Secret holding the App's PEM key under github.privateKey.existingSecretKey)" }}
  {{- end }}
{{- else if or $gh.org $gh.installationId $gh.privateKey.existingSecret }}
  {{- fail "github.org, github.installationId or github.privateKey is set but github.appId is empty, so GitHub would stay off: set github.appId" }}
{{- end }}
{{- if and $gh.webhookSecretPrevious.existingSecret (not $gh.webhookSecret.existingSecret) }}
  {{- fail "github.webhookSecretPrevious is only accepted alongside the current secret: set github.webhookSecret.existingSecret" }}
{{- end }}
{{- if and $v.ingress.enabled $v.httpRoute.enabled (not $v.routing.allowIngressAndHttpRoute) }}
  {{- fail "ingress.enabled and httpRoute.enabled are both true: choose one, or set routing.allowIngressAndHttpRoute=true to serve both" }}
{{- end }}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) }}
  {{- fail "ingress.enabled=true needs ingress.hosts (at least one host name)" }}
{{- end }}
{{- if and $v.httpRoute.enabled (not $v.httpRoute.parentRefs) (not $v.gateway.create) }}
  {{- fail "httpRoute.enabled=true needs httpRoute.parentRefs (the Gateway to attach to) or gateway.create=true" }}
{{- end }}
{{- if and $v.gateway.create (not $v.gateway.className) }}
  {{- fail "gateway.create=true needs gateway.className (the GatewayClass)" }}
{{- end }}
{{- if and (or $v.gateway.create $v.httpRoute.enabled) (not (.Capabilities.APIVersions.Has "gateway.networking.k8s.io/v1/HTTPRoute")) }}
  {{- fail "httpRoute/gateway need the Gateway API (gateway.networking.k8s.io/v1) in the cluster; install its CRDs (helm template: --api-versions gateway.networking.k8s.io/v1/HTTPRoute)" }}
{{- end }}
{{- if and $v.serviceMonitor.enabled (not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor")) }}
  {{- fail "serviceMonitor.enabled=true needs the Prometheus Operator CRDs (monitoring.coreos.com/v1); helm template: --api-versions monitoring.coreos.com/v1/ServiceMonitor" }}
{{- end }}
{{- range $component := list "backend" "frontend" }}
  {{- $pdb := (index $v $component).pdb }}
  {{- if and $pdb.enabled (eq (toString $pdb.minAvailable | eq "") (toString $pdb.maxUnavailable | eq "")) }}
    {{- fail (printf "%s.pdb: set exactly one of minAvailable and maxUnavailable (the other set to \"\")" $component) }}
  {{- end }}
{{- end }}
{{- end }}
