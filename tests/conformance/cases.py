"""The HTTP/1.1 conformance corpus: raw requests and what RFC 9110, RFC 9112
and RFC 3986 say a server must answer, rule by rule.

Each case is (section, name, raw bytes, expectation[, options]); run.py
says what an expectation means. The server under test serves
GET /plaintext (200) and POST /echo (200, the body back); every other path
is 404. Written from the RFCs, not from weft's behaviour: where a rule
leaves a choice, the comment says which answer is taken and why.
"""

CASES = []


def case(section, name, raw, expect, **opts):
    if isinstance(raw, str):
        raw = raw.encode("latin-1")
    CASES.append((section, name, raw, expect, opts) if opts else (section, name, raw, expect))


def get(target="/plaintext", host="h", version="HTTP/1.1", extra=""):
    return f"GET {target} {version}\r\nHost: {host}\r\n{extra}\r\n"


def post(body_fields, body, target="/echo"):
    return f"POST {target} HTTP/1.1\r\nHost: h\r\n{body_fields}\r\n{body}"


# ---- RFC 9112 section 2: message format ---------------------------------------------
case("9112 2.1", "plain GET", get(), 200)
case("9112 2.2", "one leading CRLF is skipped", "\r\n" + get(), 200)
case("9112 2.2", "two leading CRLFs are skipped", "\r\n\r\n" + get(), 200)
case("9112 2.2", "bare LF ends no line", "GET /plaintext HTTP/1.1\nHost: h\n\n", 400)
case("9112 2.2", "bare CR in the request line", "GET /plaintext\rHTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 2.2", "bare CR in a field", "GET /plaintext HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400)
case("9112 2.2", "bare LF in a field", "GET /plaintext HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400)
case("9112 2.2", "after the blank line, the rest is the next request (here a bad one)",
     get(extra="\r\nX: y\r\n"), [200, 400])
case("9112 2.2", "whitespace line before the request", " \r\n" + get(), 400)
case("9112 2.3", "HTTP/1.0 request", "GET /plaintext HTTP/1.0\r\n\r\n", 200)
case("9112 2.3", "HTTP/1.2 served as 1.1", get(version="HTTP/1.2"), 200)
case("9112 2.3", "HTTP/1.9 served as 1.1", get(version="HTTP/1.9"), 200)
case("9112 2.3", "HTTP/2.0 in text", get(version="HTTP/2.0"), 505)
case("9112 2.3", "HTTP/0.9 version string", get(version="HTTP/0.9"), 505)
case("9112 2.3", "HTTP/3.0 version string", get(version="HTTP/3.0"), 505)
case("9112 2.3", "lower-case http", get(version="http/1.1"), 400)
case("9112 2.3", "two-digit minor", get(version="HTTP/1.10"), 400)
case("9112 2.3", "missing minor", get(version="HTTP/1"), 400)
case("9112 2.3", "letters for digits", get(version="HTTP/a.b"), 400)
case("9112 2.3", "no version (HTTP/0.9 style)", "GET /plaintext\r\n\r\n", 400)
case("9112 2.3", "version with trailing space", "GET /plaintext HTTP/1.1 \r\nHost: h\r\n\r\n", 400)

# ---- RFC 9112 section 3: the request line -------------------------------------------
case("9112 3", "two spaces after the method", "GET  /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3", "tab as separator", "GET\t/plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3", "leading space", " GET /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3", "request line of one word", "GET\r\nHost: h\r\n\r\n", 400)
case("9112 3", "empty request line after 4 blank lines", "\r\n" * 5 + get(), 400)
case("9112 3.1", "method is case-sensitive: get", "get /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 405)
case("9112 3.1", "unknown token method", "BREW /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 405)
case("9112 3.1", "method with a non-token character", "GE(T /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3.1", "method with a NUL", "GE\x00T /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3.1", "method of 8-bit bytes", "G\xc9T /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3.1", "HEAD of a GET resource", "HEAD /plaintext HTTP/1.1\r\nHost: h\r\n\r\n", 200,
     head=True)
case("9112 3.2", "request line past the limit is 414",
     "GET /" + "a" * 9000 + " HTTP/1.1\r\nHost: h\r\n\r\n", 414)
case("9112 3.2.1", "origin-form with query", get("/plaintext?a=1&b=2"), 200)
case("9112 3.2.1", "origin-form, empty query", get("/plaintext?"), 200)
case("9112 3.2.2", "absolute-form", get("http://h/plaintext"), 200)
case("9112 3.2.2", "absolute-form with port", get("http://h:8080/plaintext"), 200)
case("9112 3.2.2", "absolute-form https scheme", get("https://h/plaintext"), 200)
case("9112 3.2.2", "absolute-form, Host differs (authority wins)",
     get("http://a.example/plaintext", host="b.example"), 200)
case("9112 3.2.2", "absolute-form, empty Host field", get("http://a.example/plaintext", host=""), 200)
case("9112 3.2.2", "absolute-form without path: / is implied", get("http://h"), 404)
case("9112 3.2.2", "absolute-form with userinfo", get("http://u@h/plaintext"), 400)
case("9112 3.2.2", "absolute-form with empty authority", get("http:///plaintext"), 400)
case("9112 3.2.2", "absolute-form with bad port", get("http://localhost:80x/plaintext"), 400)
case("9112 3.2.2", "absolute-form :80:80", get("http://:80:80/plaintext"), 400)
case("9112 3.2.2", "absolute-form ::80", get("http://::80/plaintext"), 400)
case("9112 3.2.2", "absolute-form bad IPv6", get("http://[4712::abcd::]/plaintext"), 400)
case("9112 3.2.2", "absolute-form with a fragment", get("http://h/plaintext#f"), 400)
case("9112 3.2.2", "scheme starting with a digit", get("1http://h/plaintext"), 400)
case("9112 3.2.3", "authority-form is CONNECT's: 501 (not a proxy)",
     "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501)
case("9112 3.2.3", "authority-form with GET", get("h:80"), 400)
case("9112 3.2.4", "asterisk-form with OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "accept")
case("9112 3.2.4", "asterisk-form with GET", get("*"), 400)
case("9112 3.2.4", "asterisk followed by more", "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", 400)

# ---- RFC 3986 through RFC 9112 3.2: target characters --------------------------------
targets_ok = [
    ("3.3", "sub-delims and : @ in a path", "/a:b@c!$&'()*+,;=-._~", 404),
    ("2.1", "percent-encoded unreserved", "/%70laintext", 404),
    ("2.1", "upper and lower hex", "/%7e%7E", 404),
    ("3.3", "percent-encoded UTF-8 in a path", "/caf%C3%A9", 404),
    ("3.3", "four-byte UTF-8 escape", "/%F0%9F%98%80", 404),
    ("3.4", "'/' and '?' in a query", "/plaintext?x=/y?z", 200),
    ("3.4", "8-bit escapes in a query are the application's", "/plaintext?x=%FF", 200),
    ("3.3", "dot segments are characters like any other", "/a/../plaintext", 404),
    ("3.3", "empty segments", "//plaintext", 404),
]
for sec, name, t, want in targets_ok:
    case("3986 " + sec, name, get(t), want)
targets_bad = [
    ("3.5", "a fragment", "/plaintext#frag"),
    ("3.5", "a fragment after a query", "/plaintext?a#b"),
    ("2", "raw UTF-8 bytes", "/caf\xc3\xa9"),
    ("2", "a raw 8-bit byte", "/\xff"),
    ("2", "a double quote", "/a\"b"),
    ("2", "angle brackets", "/a<b>"),
    ("2", "braces", "/a{b}"),
    ("2", "a pipe", "/a|b"),
    ("2", "a backslash", "/a\\b"),
    ("2", "a caret", "/a^b"),
    ("2", "a backquote", "/a`b"),
    ("2", "a DEL", "/a\x7fb"),
    ("2.1", "a lone %", "/%"),
    ("2.1", "% and one digit", "/%2"),
    ("2.1", "% and non-hex", "/%zz"),
    ("2.1", "escaped overlong '/' (C0 AF)", "/%C0%AF"),
    ("2.1", "three-byte overlong", "/%E0%80%AF"),
    ("2.1", "escaped UTF-16 surrogate", "/%ED%A0%80"),
    ("2.1", "escaped code point past U+10FFFF", "/%F4%90%80%80"),
    ("2.1", "escaped NUL", "/a%00b"),
    ("2.1", "a truncated UTF-8 escape", "/%C3"),
    ("3.3", "target without a leading slash", "plaintext"),
]
for sec, name, t in targets_bad:
    case("3986 " + sec, name, get(t), 400)
case("9112 3", "a space inside the target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400)
case("9112 3", "a control character in the target", get("/a\x01b"), 400)

# ---- RFC 9110 7.2 and RFC 3986 3.2.2: Host ------------------------------------------
hosts_ok = ["h", "example.com", "example.com.", "h:8080", "h:", "127.0.0.1", "127.0.0.1:80",
            "[::1]", "[::1]:8080", "[2001:db8::1]", "[::ffff:10.0.0.1]", "[v1.x]", "%41bc",
            "xn--bcher-kva.example", "1.example", "a-b_c~d"]
for h in hosts_ok:
    case("9110 7.2", f"Host: {h}", get(host=h), 200)
hosts_bad = [
    ("userinfo", "user@h"), ("a path", "h/path"), ("a list", "a, b"), ("a space", "a b"),
    ("a backslash", "abc\\foo"), ("unbracketed IPv6", "::1"), ("junk after the port",
    "localhost:80 x"), ("letters in the port", "h:80x"), ("empty host, a port", ":80"),
    ("two ports", ":80:80"), ("::80", "::80"), ("two '::'", "[4712::abcd::]"),
    ("unterminated '['", "[::1"), ("junk after ']'", "[::1]x"), ("nine groups",
    "[1:2:3:4:5:6:7:8:9]"), ("a zone id", "[::1%25eth0]"), ("IPv4 in brackets", "[1.2.3.4]"),
    ("port past 65535", "h:99999"), ("a bad escape", "%zz"), ("a '#'", "h#x"), ("a '?'", "h?x"),
    ("a long decimal number", "017700000001"), ("0x hex labels", "0x7f.1"),
    ("one hex number", "0x7f000001"), ("two-part dotted", "127.1"),
    ("an octet with a leading zero", "127.0.0.01"), ("an octet past 255", "256.0.0.1"),
    ("five parts", "1.2.3.4.5"), ("a numeric last label", "a.123"),
]
for name, h in hosts_bad:
    case("9110 7.2", f"Host with {name}", get(host=h), 400)
case("9110 7.2", "empty Host with origin-form", get(host=""), 400)
case("9112 3.2", "no Host in HTTP/1.1", "GET /plaintext HTTP/1.1\r\n\r\n", 400)
case("9112 3.2", "two Host fields", get(extra="Host: h\r\n"), 400)
case("9112 3.2", "two equal Host fields", get(extra="Host: h\r\n"), 400)
case("9112 3.2", "no Host in HTTP/1.0 is fine", "GET /plaintext HTTP/1.0\r\n\r\n", 200)

# ---- RFC 9112 section 5, RFC 9110 5.5/5.6: fields ----------------------------------
case("9112 5.1", "whitespace before the colon", get(extra="X-A : b\r\n"), 400)
case("9112 5.1", "tab before the colon", get(extra="X-A\t: b\r\n"), 400)
case("9112 5.1", "no colon", get(extra="X-A\r\n"), 400)
case("9112 5.1", "empty field name", get(extra=": b\r\n"), 400)
case("9110 5.6.2", "non-token field name", get(extra="X(A): b\r\n"), 400)
case("9110 5.6.2", "8-bit field name", get(extra="X\xe9: b\r\n"), 400)
case("9112 5.1", "OWS around a value is trimmed", get(extra="X-A: \t b \t\r\n"), 200)
case("9112 5.1", "no space after the colon", get(extra="X-A:b\r\n"), 200)
case("9112 5.1", "empty value", get(extra="X-A:\r\n"), 200)
case("9110 5.5", "obs-text in a value", get(extra="X-A: caf\xe9\r\n"), 200)
case("9110 5.5", "NUL in a value", get(extra="X-A: a\x00b\r\n"), 400)
case("9110 5.5", "a control byte in a value", get(extra="X-A: a\x01b\r\n"), 400)
case("9110 5.5", "DEL in a value", get(extra="X-A: a\x7fb\r\n"), 400)
case("9110 5.5", "vertical tab in a value", get(extra="X-A: a\x0bb\r\n"), 400)
case("9110 5.5", "form feed in a value", get(extra="X-A: a\x0cb\r\n"), 400)
case("9112 5.2", "obs-fold with a space", get(extra="X-A: a\r\n b\r\n"), 400)
case("9112 5.2", "obs-fold with a tab", get(extra="X-A: a\r\n\tb\r\n"), 400)
case("9112 5.2", "a first field that starts with a space", "GET /plaintext HTTP/1.1\r\n Host: h\r\n\r\n", 400)
case("9110 5.4", "header block past the limit is 431",
     get(extra="".join(f"X-{i}: {'v' * 1000}\r\n" for i in range(40))), 431)
case("9110 5.4", "more than 100 fields is 431",
     get(extra="".join(f"X-{i}: v\r\n" for i in range(101))), 431)
case("9110 5.4", "100 fields are fine", get(extra="".join(f"X-{i}: v\r\n" for i in range(98))), 200)

# ---- RFC 9112 6.2 and 6.3: Content-Length ------------------------------------------
case("9112 6.2", "a body by Content-Length", post("Content-Length: 5\r\n", "hello"), 200)
case("9112 6.2", "Content-Length: 0", post("Content-Length: 0\r\n", ""), 200)
case("9112 6.3", "POST without a length has no body", post("", ""), 200)
case("9112 6.2", "Content-Length with leading zeros", post("Content-Length: 005\r\n", "hello"), 200)
case("9112 6.3", "two Content-Length fields", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400)
case("9112 6.3", "two different Content-Length", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400)
case("9112 6.3", "Content-Length as a list", post("Content-Length: 5, 5\r\n", "hello"), 400)
case("9112 6.3", "negative Content-Length", post("Content-Length: -5\r\n", "hello"), 400)
case("9112 6.3", "Content-Length with a sign", post("Content-Length: +5\r\n", "hello"), 400)
case("9112 6.3", "hex Content-Length", post("Content-Length: 0x5\r\n", "hello"), 400)
case("9112 6.3", "Content-Length with a space inside", post("Content-Length: 1 0\r\n", "hello12345"), 400)
case("9112 6.3", "empty Content-Length", post("Content-Length:\r\n", ""), 400)
case("9112 6.3", "overflowing Content-Length", post("Content-Length: 99999999999999999999999\r\n", ""), 400)
case("9112 6.3", "Content-Length past the limit is 413", post("Content-Length: 9000000\r\n", ""), 413)
case("9112 6.2", "a body up to its length only, then the next request",
     post("Content-Length: 5\r\n", "hello") + get(), [200, 200])
case("9112 6.3", "Content-Length and Transfer-Encoding",
     post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400)
case("9112 6.3", "Transfer-Encoding and Content-Length",
     post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "0\r\n\r\n"), 400)

# ---- RFC 9112 6.1 and 7: Transfer-Encoding spellings -------------------------------
te_ok = ["chunked", "Chunked", "CHUNKED", "chunked ", ", chunked", "chunked,"]
for te in te_ok:
    case("9112 6.1", f"Transfer-Encoding: '{te}'",
         post(f"Transfer-Encoding: {te}\r\n", "5\r\nhello\r\n0\r\n\r\n"), 200)
te_501 = ["gzip, chunked", "deflate,chunked", "identity, chunked", "gzip;q=1, chunked"]
for te in te_501:
    case("9112 6.1", f"unknown coding before chunked: '{te}' (501)",
         post(f"Transfer-Encoding: {te}\r\n", "5\r\nhello\r\n0\r\n\r\n"), 501)
te_400 = ["gzip", "identity", "chunked, gzip", "chunked, chunked", "chunked;x=1", "chunked;",
          "chunked x", "\"chunked\"", "chunk", "chunkedx", "", ",", "x;=1, chunked",
          "\x0bchunked", "chunked\x00"]
for te in te_400:
    case("9112 6.3", f"Transfer-Encoding: {te!r} (400)",
         post(f"Transfer-Encoding: {te}\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400)
case("9112 6.3", "two Transfer-Encoding fields: chunked twice",
     post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400)
case("9112 6.3", "Transfer-Encoding split: gzip then chunked fields",
     post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 501)
case("9112 6.1", "Transfer-Encoding in HTTP/1.0",
     "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)
case("9112 6.1", "Transfer-Encoding with obs-fold",
     post("Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"), 400)
case("9112 6.1", "Transfer-Encoding name with a space",
     post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), 400)

# ---- RFC 9112 7.1: chunked bodies ---------------------------------------------------
chunked_ok = [
    ("7.1", "two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    ("7.1", "upper-case hex size", "A\r\n0123456789\r\n0\r\n\r\n"),
    ("7.1", "size with leading zeros", "005\r\nhello\r\n0\r\n\r\n"),
    ("7.1", "an empty body", "0\r\n\r\n"),
    ("7.1.1", "an extension", "5;a\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "an extension with a token value", "5;a=b\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "an extension with a quoted value", "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "a quoted-pair in an extension", "5;a=\"q\\\"d\"\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "BWS before ';'", "5 ;a\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "BWS around '='", "5;a = b\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "several extensions", "5;a;b=1;c=\"x\"\r\nhello\r\n0\r\n\r\n"),
    ("7.1.1", "an extension on the last chunk", "5\r\nhello\r\n0;end\r\n\r\n"),
    ("7.1.2", "a trailer field", "5\r\nhello\r\n0\r\nX-T: v\r\n\r\n"),
    ("7.1.2", "two trailer fields", "5\r\nhello\r\n0\r\nX-T: v\r\nX-U: w\r\n\r\n"),
]
for sec, name, body in chunked_ok:
    case("9112 " + sec, "chunked: " + name, post("Transfer-Encoding: chunked\r\n", body), 200)
chunked_bad = [
    ("7.1", "no size", "\r\nhello\r\n0\r\n\r\n"),
    ("7.1", "non-hex size", "g\r\nx\r\n0\r\n\r\n"),
    ("7.1", "a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
    ("7.1", "a negative size", "-5\r\nhello\r\n0\r\n\r\n"),
    ("7.1", "an overflowing size", "ffffffffffffffffff\r\n"),
    ("7.1", "size then LF only", "5\nhello\r\n0\r\n\r\n"),
    ("7.1", "data longer than its size", "5\r\nhelloXX\r\n0\r\n\r\n"),
    ("7.1", "data without CRLF", "5\r\nhello0\r\n\r\n"),
    ("7.1.1", "junk after the size", "2 junk\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "';' and no name", "2;\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "a space and no ';'", "2 \r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "a tab and no ';'", "2\t\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "an unterminated quoted value", "2;a=\"b\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "'=' and no value", "2;a=\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "a space inside a token value", "2;a=b c\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "whitespace before the CRLF", "2;a \r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "a control byte in an extension", "2;a\x01\r\nhi\r\n0\r\n\r\n"),
    ("7.1.1", "a comma instead of ';'", "2,a\r\nhi\r\n0\r\n\r\n"),
    ("7.1.2", "a trailer without a name", "0\r\n: v\r\n\r\n"),
    ("7.1.2", "a trailer with a control byte", "0\r\nX: a\x01\r\n\r\n"),
    ("7.1.2", "a trailer with obs-fold", "0\r\nX: a\r\n b\r\n\r\n"),
]
for sec, name, body in chunked_bad:
    case("9112 " + sec, "chunked: " + name, post("Transfer-Encoding: chunked\r\n", body), 400)
case("9112 7.1", "chunked body past the limit is 413",
     post("Transfer-Encoding: chunked\r\n", "900000\r\n"), 413)

# ---- RFC 9110 10.1.1: Expect --------------------------------------------------------
case("9110 10.1.1", "Expect: 100-continue, body sent at once",
     post("Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), 200)
case("9110 10.1.1", "Expect: 100-continue in another case",
     post("Expect: 100-Continue\r\nContent-Length: 5\r\n", "hello"), 200)
case("9110 10.1.1", "an unknown expectation", post("Expect: teapot\r\nContent-Length: 5\r\n", "hello"), 417)
case("9110 10.1.1", "Expect: 100-continue over the size limit is 413, no 100",
     post("Expect: 100-continue\r\nContent-Length: 9000000\r\n", ""), 413)

# ---- RFC 9112 9: connections, persistence, pipelining, Upgrade --------------------
case("9112 9.3", "keep-alive: two requests on one connection", get() + get(), [200, 200])
case("9112 9.3", "Connection: close ends after the answer",
     get(extra="Connection: close\r\n") + get(), [200])
case("9112 9.3", "HTTP/1.0 closes after the answer by default",
     "GET /plaintext HTTP/1.0\r\n\r\n" + get(), [200])
case("9112 9.3", "HTTP/1.0 with keep-alive stays open",
     "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get(), [200, 200])
case("9112 9.3.2", "three pipelined requests answered in order",
     get() + post("Content-Length: 2\r\n", "hi") + get("/nope"), [200, 200, 404])
case("9112 9.3.2", "a bad request after a good one: answer, then 400",
     get() + "GET /plaintext HTTP/1.1\r\nHost: a b\r\n\r\n", [200, 400])
case("9112 9.3.2", "nothing after a 400 is answered",
     "GET /plaintext HTTP/1.1\r\nHost: a b\r\n\r\n" + get(), [400])
case("9110 7.8", "Upgrade to an unknown protocol is ignored",
     get(extra="Connection: Upgrade\r\nUpgrade: foo/1\r\n"), 200)
case("9110 7.6.1", "Connection lists other fields", get(extra="Connection: X-A, close\r\nX-A: 1\r\n"), 200)
case("9112 9.3.2", "CL.TE smuggling: refused, not split",
     post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG") + get(), [400])
case("9112 9.3.2", "TE.CL smuggling: refused, not split",
     post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"), [400])
case("9112 9.3.2", "TE with obs-fold smuggling",
     post("Transfer-Encoding: x\r\n chunked\r\nContent-Length: 4\r\n", "0\r\n\r\n"), [400])
case("9112 9.3.2", "TE with a vertical tab smuggling",
     post("Transfer-Encoding:\x0bchunked\r\nContent-Length: 4\r\n", "0\r\n\r\n"), [400])
case("9112 9.3.2", "a body hidden in a GET by Content-Length is read as a body",
     "GET /plaintext HTTP/1.1\r\nHost: h\r\nContent-Length: 31\r\n\r\n"
     "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n", [200])
case("9112 9.3.2", "chunk extension hiding a request", post(
    "Transfer-Encoding: chunked\r\n", "2;\r\nhi\r\n0\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n"), [400])
case("9112 9.3.2", "a bare LF chunk line hiding a request", post(
    "Transfer-Encoding: chunked\r\n", "2\nhi\r\n0\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n"), [400])

# ---- RFC 9112 9.6: half-close -------------------------------------------------------
case("9112 9.6", "FIN after a complete request: still answered", get(), 200, shut_wr=True)
case("9112 9.6", "FIN after a complete HTTP/1.0 request", "GET /plaintext HTTP/1.0\r\n\r\n", 200,
     shut_wr=True)
case("9112 9.6", "FIN after a complete POST", post("Content-Length: 5\r\n", "hello"), 200,
     shut_wr=True)
case("9112 9.6", "FIN after two pipelined requests", get() + get(), [200, 200], shut_wr=True)
case("9112 9.6", "FIN inside a head: closed, no answer", "GET /plaintext HTTP/1.1\r\nHo", "close",
     shut_wr=True)
case("9112 9.6", "FIN inside a body: closed, no answer", post("Content-Length: 10\r\n", "abc"),
     "close", shut_wr=True)
case("9112 9.6", "FIN inside a chunked body: closed, no answer",
     post("Transfer-Encoding: chunked\r\n", "5\r\nhel"), "close", shut_wr=True)
case("9112 9.6", "a complete request, then a partial one, then FIN",
     get() + "GET /plaintext HT", [200], shut_wr=True)
