{{/* Names and labels, in the shape `helm create` generates (and the Python chart used). */}}

{{/* The chart name, or nameOverride. */}}
{{- define "gharts.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The resource name prefix: `<release>-gharts`, or the release name when it already contains the chart name. */}}
{{- define "gharts.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* `<fullname>-<suffix>`, kept within 63 characters. */}}
{{- define "gharts.componentName" -}}
{{- printf "%s-%s" (include "gharts.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{- define "gharts.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "gharts.labels" -}}
helm.sh/chart: {{ include "gharts.chart" . }}
{{ include "gharts.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gharts
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "gharts.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gharts.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: call with (dict "root" $ "component" "backend"). */}}
{{- define "gharts.componentLabels" -}}
{{ include "gharts.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gharts.componentSelectorLabels" -}}
{{ include "gharts.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* repository[@digest | :tag], the tag defaulting to appVersion. Call with (dict "root" $ "image" .Values.backend.image). */}}
{{- define "gharts.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{- define "gharts.backendServiceAccountName" -}}
{{- if .Values.backend.serviceAccount.create }}
{{- default (include "gharts.componentName" (dict "root" . "component" "backend")) .Values.backend.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.backend.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gharts.frontendServiceAccountName" -}}
{{- if .Values.frontend.serviceAccount.create }}
{{- default (include "gharts.componentName" (dict "root" . "component" "frontend")) .Values.frontend.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.frontend.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The chart-created Secret (inline secret values only). */}}
{{- define "gharts.secretName" -}}
{{- include "gharts.componentName" (dict "root" . "component" "secrets") }}
{{- end }}

{{- define "gharts.isPostgres" -}}
{{- if eq .Values.database.type "postgres" }}true{{ end }}
{{- end }}

{{/* The migration Job renders with PostgreSQL only (the SQLite PVC does not exist before install). */}}
{{- define "gharts.migrationJob" -}}
{{- if and (include "gharts.isPostgres" .) .Values.database.migrationJob.enabled }}true{{ end }}
{{- end }}

{{/* Whether the chart must create its Secret: any inline secret value. */}}
{{- define "gharts.createSecret" -}}
{{- $a := .Values.auth }}
{{- if or (and (include "gharts.isPostgres" .) .Values.database.postgres.url) $a.bootstrapAdmin.password $a.sessionSecret.value (and $a.oidc.enabled $a.oidc.clientSecret.value) .Values.metrics.token.value }}true{{ end }}
{{- end }}

{{/*
Secret files of the backend: a list of {env, secret, key, path}. Each becomes an item of one
projected volume at /etc/gharts/secrets and a NAME_FILE variable, so no secret sits in the
environment. Inline values come from the chart's Secret, the rest from existingSecret.
*/}}
{{- define "gharts.secretFiles" -}}
{{- $chartSecret := include "gharts.secretName" . }}
{{- $files := list }}
{{- if include "gharts.isPostgres" . }}
{{- $pg := .Values.database.postgres }}
{{- $files = append $files (dict "env" "DATABASE_URL" "secret" (ternary $pg.existingSecret $chartSecret (not (empty $pg.existingSecret))) "key" (ternary $pg.existingSecretKey "database-url" (not (empty $pg.existingSecret))) "path" "database-url") }}
{{- end }}
{{- $m := .Values.metrics.token }}
{{- $items := list (list "BOOTSTRAP_ADMIN_PASSWORD" .Values.auth.bootstrapAdmin.existingSecret .Values.auth.bootstrapAdmin.existingSecretKey .Values.auth.bootstrapAdmin.password "bootstrap-admin-password") (list "SESSION_SECRET" .Values.auth.sessionSecret.existingSecret .Values.auth.sessionSecret.existingSecretKey .Values.auth.sessionSecret.value "session-secret") (list "METRICS_TOKEN" $m.existingSecret $m.existingSecretKey $m.value "metrics-token") }}
{{- if .Values.auth.oidc.enabled }}
{{- $c := .Values.auth.oidc.clientSecret }}
{{- $items = append $items (list "OIDC_CLIENT_SECRET" $c.existingSecret $c.existingSecretKey $c.value "oidc-client-secret") }}
{{- end }}
{{- /* GitHub's secrets: existing Secrets only (the key only with the App on; the webhook works without it). */}}
{{- $gh := .Values.github }}
{{- if $gh.appId }}
{{- $items = append $items (list "GITHUB_APP_PRIVATE_KEY" $gh.privateKey.existingSecret $gh.privateKey.existingSecretKey "" "github-app-private-key") }}
{{- end }}
{{- $items = append $items (list "GITHUB_WEBHOOK_SECRET" $gh.webhookSecret.existingSecret $gh.webhookSecret.existingSecretKey "" "github-webhook-secret") }}
{{- $items = append $items (list "GITHUB_WEBHOOK_SECRET_PREVIOUS" $gh.webhookSecretPrevious.existingSecret $gh.webhookSecretPrevious.existingSecretKey "" "github-webhook-secret-previous") }}
{{- range $items }}
{{- $env := index . 0 }}{{ $existing := index . 1 }}{{ $existingKey := index . 2 }}{{ $inline := index . 3 }}{{ $path := index . 4 }}
{{- if $existing }}
{{- $files = append $files (dict "env" $env "secret" $existing "key" $existingKey "path" $path) }}
{{- else if $inline }}
{{- $files = append $files (dict "env" $env "secret" $chartSecret "key" $path "path" $path) }}
{{- end }}
{{- end }}
{{- toYaml $files }}
{{- end }}

{{/* A topologySpreadConstraints list with each missing labelSelector filled in. Call with (dict "root" $ "component" "backend" "constraints" list). */}}
{{- define "gharts.topologySpread" -}}
{{- $selector := include "gharts.componentSelectorLabels" (dict "root" .root "component" .component) | fromYaml }}
{{- $out := list }}
{{- range .constraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Path prefixes routed to the backend (routing.backendPaths, plus /metrics when exposed). */}}
{{- define "gharts.backendPaths" -}}
{{- $paths := .Values.routing.backendPaths }}
{{- if .Values.routing.exposeMetrics }}
{{- $paths = append $paths "/metrics" }}
{{- end }}
{{- toYaml $paths }}
{{- end }}

{{/* The metrics token's Secret and key ({secret, key}), or nothing when no token is set. */}}
{{- define "gharts.metricsTokenRef" -}}
{{- $m := .Values.metrics.token }}
{{- if $m.existingSecret }}
{{- toYaml (dict "name" $m.existingSecret "key" $m.existingSecretKey) }}
{{- else if $m.value }}
{{- toYaml (dict "name" (include "gharts.secretName" .) "key" "metrics-token") }}
{{- end }}
{{- end }}
