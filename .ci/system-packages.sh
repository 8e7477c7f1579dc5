#!/usr/bin/env bash
# The Debian packages some tests drive (installed by `make test` where apt-get can run; the tests that need a
# missing one skip and name it). Each line: the command the tests look for, then the package that gives it.
set -euo pipefail
NEEDED=(
    "faad faad"  # an AAC decoder independent of the encoder, for the speech tests
    "chromium chromium"  # a headless browser for the inspector's page (Playwright drives it)
)
missing=()
for entry in "${NEEDED[@]}"; do
    read -r command package <<<"$entry"
    command -v "$command" >/dev/null || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ "$(id -u)" != 0 ]] && sudo="sudo"
if command -v apt-get >/dev/null && { [[ -z "$sudo" ]] || sudo -n true 2>/dev/null; }; then
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "cannot install ${missing[*]} (no apt-get or no root): the tests that need them skip" >&2
fi
