#!/usr/bin/env bash
# Makes a small certificate authority and one TLS certificate per player, with the openssl command,
# for tfe's TCP channel (TLS 1.3, mutual authentication; see docs/networking.md).
#
#   bash scripts/make_certs.sh DIR NAME [NAME...]
#
# Writes into DIR (created if needed):
#   ca.pem, ca.key              the CA (made once; reused when DIR already has one)
#   NAME.pem, NAME.key          each player's certificate and private key (EC P-256), signed by the CA,
#                               subject CN=NAME and subjectAltName DNS:NAME (tfe checks that the name in
#                               the certificate is the player's name), for serverAuth and clientAuth
#   fingerprints.txt            "NAME sha256:..." per player, for pinning in a hosts file
# An existing NAME.pem/NAME.key is kept unless TFE_CERTS_FORCE=1. Keys are written mode 600.
#   TFE_CERT_DAYS   validity in days (default 365)
#   TFE_CA_NAME     the CA's common name (default "tfe players CA")
# Player names must be usable as a DNS name in a certificate (letters, digits, '-', '.', '_').
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 DIR NAME [NAME...]" >&2
  exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "make_certs: the openssl command is required" >&2; exit 1; }

dir="$1"
shift
days="${TFE_CERT_DAYS:-365}"
ca_name="${TFE_CA_NAME:-tfe players CA}"
mkdir -p "$dir"
umask 077

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f "$dir/ca.pem" || ! -f "$dir/ca.key" ]]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$days" -subj "/CN=$ca_name" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null
  echo "make_certs: new CA $dir/ca.pem"
fi

for name in "$@"; do
  if [[ ! "$name" =~ ^[A-Za-z0-9._-]+$ ]]; then
    echo "make_certs: player name '$name' cannot be put in a certificate (use letters, digits, . _ -)" >&2
    exit 1
  fi
  if [[ -f "$dir/$name.pem" && -f "$dir/$name.key" && "${TFE_CERTS_FORCE:-0}" != "1" ]]; then
    continue
  fi
  newkey "$dir/$name.key"
  ext="$(mktemp)"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyAgreement" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$name" >"$ext"
  openssl req -new -key "$dir/$name.key" -subj "/CN=$name" 2>/dev/null |
    openssl x509 -req -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days "$days" -sha256 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$ext"
  echo "make_certs: $dir/$name.pem (CN=$name)"
done

chmod 600 "$dir"/*.key
: >"$dir/fingerprints.txt.tmp"
for pem in "$dir"/*.pem; do
  base="$(basename "$pem" .pem)"
  [[ "$base" == "ca" ]] && continue
  fp="$(openssl x509 -in "$pem" -noout -fingerprint -sha256 | sed 's/^.*=//' | tr -d ':' | tr 'A-F' 'a-f')"
  echo "$base sha256:$fp" >>"$dir/fingerprints.txt.tmp"
done
mv "$dir/fingerprints.txt.tmp" "$dir/fingerprints.txt"
chmod 644 "$dir"/*.pem "$dir/fingerprints.txt"
