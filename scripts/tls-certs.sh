#!/usr/bin/env bash
# tls-certs.sh DIR - makes a throwaway CA and certificates in DIR for
# tests, benchmarks and trying HTTPS out. Nothing here is a secret: the
# keys are made anew each time and never committed.
#
#   ca.pem                  the CA that signed the others (trust it: curl --cacert)
#   localhost.pem/.key      for localhost and 127.0.0.1, ::1 (the default)
#   other.pem/.key          for other.test (a second name, picked by SNI)
#   expired.pem/.key        for localhost, but expired
#   wrongname.pem/.key      for wrong.test only (a backend with the wrong name)
#
# ECDSA P-256 keys, as most sites now use; the CA signs with SHA-256.
set -euo pipefail
dir=${1:?usage: tls-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }

ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=weft test CA" -keyout ca.key -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME SAN [extra x509 args...]
leaf() {
    local name=$1 san=$2
    shift 2
    ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name-cert" \
        -keyout "$name.key" -out "$name.csr"
    # A CRL URI on loopback, never fetched: a server certificate names
    # where its revocation is published (testssl rates one without HIGH).
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\ncrlDistributionPoints=URI:http://127.0.0.1/weft-test-ca.crl\n' \
        "$san" >"$name.ext"
    ossl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
        -extfile "$name.ext" -out "$name.pem" "$@"
    rm -f "$name.csr" "$name.ext"
}

leaf localhost "DNS:localhost,IP:127.0.0.1,IP:::1" -days 825
leaf other "DNS:other.test" -days 825
leaf wrongname "DNS:wrong.test" -days 825
# Expired: valid for one day, ten days ago ("openssl ca" takes explicit dates).
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=expired-cert" \
    -keyout expired.key -out expired.csr
mkdir -p ca.db && : >ca.db/index.txt && echo 1000 >ca.db/serial
cat >ca.db/ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
EOF
ossl ca -batch -config ca.db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
    -startdate "$(date -u -d '10 days ago' +%y%m%d%H%M%SZ)" \
    -enddate "$(date -u -d '9 days ago' +%y%m%d%H%M%SZ)"
rm -rf expired.csr ca.db
chmod 600 ./*.key
echo "$dir: ca.pem localhost other expired wrongname"
