# Sourced by `make run`, `make worker` and `make bench`: without DJANGO_SECRET_KEY, a random
# key generated once in var/secret-key (kept across runs, so sessions survive a restart),
# the way the development encryption key is. Any other start needs DJANGO_SECRET_KEY set.
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  _key_file="${FUNCTIONS_VAR_DIR:-var}/secret-key"
  if [ ! -s "$_key_file" ]; then
    mkdir -p "$(dirname "$_key_file")"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >"$_key_file")
  fi
  DJANGO_SECRET_KEY="$(cat "$_key_file")"
  export DJANGO_SECRET_KEY
fi
