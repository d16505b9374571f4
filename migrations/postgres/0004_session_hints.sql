-- The OIDC logout hint (the ID token) is now stored sealed under the session's cookie value
-- ("v1:..."); hints stored in plain text before are dropped (those sessions log out at the IdP
-- by client id alone).
update sessions set id_token_hint = null where id_token_hint is not null and id_token_hint not like 'v1:%';
