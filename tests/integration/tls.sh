#!/bin/sh
# tls.sh BUILD - two agents over tls+tcp:// with ECDSA P-256 certificates
# from a throw-away CA, both sides verifying each other; a listing at A
# reaches B, and an agent whose certificate is not from the CA gets nothing.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || { echo "tls: skipped (no openssl)"; exit 0; }
mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$T/$1.tkey" -out "$T/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.crt" -CAkey "$T/$2.cakey" -CAcreateserial \
		-days 2 -out "$T/$1.crt" 2>/dev/null &&
	cat "$T/$1.crt" "$T/$1.tkey" >"$T/$1.pem"
}
for ca in ca evilca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$ca" -keyout "$T/$ca.cakey" -out "$T/$ca.crt" 2>/dev/null ||
		fail "make $ca"
done
mkcert A ca || fail "cert A"
mkcert B ca || fail "cert B"
mkcert M evilca || fail "cert M"

agent A; agent B; agent M
SCHEME_A=tls+tcp; SCHEME_B=tls+tcp; SCHEME_M=tls+tcp
for n in A B M; do trust $n A B; done
EXTRA="tls-cert $T/A.pem
tls-ca $T/ca.crt" conf A B
EXTRA="tls-cert $T/B.pem
tls-ca $T/ca.crt" conf B A
EXTRA="tls-cert $T/M.pem
tls-ca $T/ca.crt" conf M A
start A; start B; start M
wait_for 10 connected B A || fail "B not connected to A over TLS: $(tail -3 "$T/B.log")"
ctl A list 192.0.2.77 --reason malware --expires 1d >/dev/null || fail "list at A"
wait_for 10 ctl B why 192.0.2.77 || fail "listing did not cross TLS"
sleep 1
connected M A && fail "A accepted a certificate from another CA"
ctl M why 192.0.2.77 >/dev/null && fail "M got the listing without a valid certificate"
finish tls
