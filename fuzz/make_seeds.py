#!/usr/bin/env python3
"""Writes the committed seed corpora, fuzz/corpus/<target>/, from the
samples, the rule fixtures and hand-made inputs (HTTP requests, multipart
bodies, JWTs, adapter answers). Deterministic; run from anywhere:
    python3 fuzz/make_seeds.py
Small files only (at most 4 KB, a few dozen per target); fuzz/run.sh adds
the larger documents of ../shared/corpus at run time."""
import base64, hashlib, io, json, os, shutil, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
MAX_FILE = 4096
MAX_PER_TARGET = 40
SEP = b"\n#@@\n"


def rd(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def files_under(rel, exts):
    out = []
    for d, dirs, fs in os.walk(os.path.join(ROOT, rel)):
        dirs.sort()
        for f in sorted(fs):
            if f.endswith(exts):
                out.append(os.path.relpath(os.path.join(d, f), ROOT))
    return out


def small(paths):
    return [p for p in paths if os.path.getsize(os.path.join(ROOT, p)) <= MAX_FILE]


def zip_of(entries):
    """A deterministic zip of (name, bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return buf.getvalue()


def project_entries(rel, root):
    out = []
    base = os.path.join(ROOT, rel)
    for d, dirs, fs in os.walk(base):
        dirs.sort()
        for f in sorted(fs):
            p = os.path.join(d, f)
            out.append((root + "/" + os.path.relpath(p, base), open(p, "rb").read()))
    return out


def write(target, seeds):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    seen = set()
    n = 0
    for name, data in seeds:
        h = hashlib.sha1(data).hexdigest()
        if h in seen or len(data) > MAX_FILE * 2:
            continue
        seen.add(h)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        n += 1
        if n >= MAX_PER_TARGET:
            break
    print(f"{target}: {n} seeds")


def slug(rel):
    return rel.replace("/", "_")


# --- doc: YAML and JSON documents
definitions = small(files_under("samples", (".yaml", ".json"))) + small(files_under("tests/fixtures/rules", (".yaml", ".json")))
doc_seeds = [("hand-anchors.yaml", b"a: &x {k: [1, 2, &y v]}\nb: *x\nc: *y\n<<: *x\nd: !!str 12\ne: |\n  block\n  text\nf: >-\n  folded\n"),
             ("hand-merge.yaml", b"base: &b {a: 1, b: 2}\nchild:\n  <<: [*b, {c: 3}]\n  a: 9\n"),
             ("hand-dup.yaml", b"a: 1\nb: 2\na: 3\n? [x, y]\n: complex\n"),
             ("hand-multi.yaml", b"%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n"),
             ("hand-scalars.yaml", b"n: ~\nb: yes\ni: 0x1F\nf: .inf\ns: 'it''s'\nd: \"\\u00e9\\x41\\t\"\nt: 2001-12-14\n"),
             ("hand.json", b'{"a": [1, 2.5e3, -0, true, null, "\\ud83d\\ude00"], "b": {"a": 1, "a": 2}}'),
             ("hand-deep.json", b"[" * 40 + b"]" * 40),
             ("hand-deep.yaml", b"".join(b"  " * i + b"k:\n" for i in range(30)) + b"  " * 30 + b"v\n"),
             ("hand-bom.json", b'\xef\xbb\xbf{"x": "y"}'),
             ("hand-flow.yaml", b"{a: [b, {c: d}], ? e : f, g: [h, i]: j}\n")]
doc_seeds += [(slug(p), rd(p)) for p in definitions[:28]]
write("doc", doc_seeds)

# --- rules: a definition alone, or [FILES SEP] API_YAML SEP DEFINITION
petstore_api = rd("samples/petstore/api.yaml")
petstore_def = rd("samples/petstore/Definitions/swagger.yaml")
broken_api = rd("samples/broken-project/api.yaml")
broken_def = rd("samples/broken-project/Definitions/swagger.yaml")
rule_defs = small(files_under("tests/fixtures/rules", (".yaml", ".json")))
rule_defs = [p for p in rule_defs if "/project-" not in p]
# one or two per rule, for variety
picked, per_rule = [], {}
for p in rule_defs:
    rule = p.split("/")[3]
    if per_rule.get(rule, 0) < 1:
        per_rule[rule] = per_rule.get(rule, 0) + 1
        picked.append(p)
rules_seeds = [("project-petstore", b"api.yaml\nDefinitions/swagger.yaml\ndeployment_environments.yaml\napi_meta.yaml" + SEP + petstore_api + SEP + petstore_def),
               ("project-broken", b"api.yaml\nopenapi.yaml\nDefinitions/swagger.yaml" + SEP + broken_api + SEP + broken_def),
               ("project-stray", b"api.yaml\nDefinitions/swagger.yaml\nDefinitions/swagger.yaml.bak\nDocs/myapi.json\n.git/config\nname~" + SEP + petstore_api + SEP + petstore_def),
               ("meta-petstore", petstore_api + SEP + petstore_def),
               ("meta-broken", broken_api + SEP + broken_def)]
rules_seeds += [(slug(p), rd(p)) for p in picked]
write("rules", rules_seeds)

# --- url
urls = ["http://127.0.0.1:8080/api", "https://example.com", "example.com:443/v1", "  http://h/p/  ",
        "ws://chat.example.com:9000/socket", "wss://[::1]:8443/x", "http://[fe80::1%25eth0]:80/",
        "http://user:pw@host:1/p?q=1#f", "HTTP://UPPER.EXAMPLE.COM/", "http://h:99999/", "http://h:0",
        "http://h:-1/", "http://-bad-.com/", "http://a..b/", "/relative/path", "", "://nohost",
        "http://h:80:80/", "http://[::1/", "file:///etc/passwd", "http://h/%zz", "http://h\t/x",
        "http://\xc3\xa9.example/", "https://h.example.com:443/a/b/c/", "http://h?x", "http://h#f"]
write("url", [(f"url-{i:02d}", u.encode("utf-8", "surrogateescape") if isinstance(u, str) else u) for i, u in enumerate(urls)])

# --- zip: project archives as the gateway receives them
deploy_env = b"type: deployment_environments\nversion: v4.0.0\ndata:\n  - deploymentEnvironment: Default\n    deploymentVhost: localhost\n"
zip_seeds = [("petstore.zip", zip_of(project_entries("samples/petstore", "petstore"))),
             ("broken.zip", zip_of(project_entries("samples/broken-project", "broken-project"))),
             ("flat.zip", zip_of([("api.yaml", petstore_api), ("Definitions/swagger.yaml", petstore_def)])),
             ("envs.zip", zip_of([("p/api.yaml", petstore_api), ("p/Definitions/swagger.yaml", petstore_def),
                                  ("p/deployment_environments.yaml", deploy_env)])),
             ("json.zip", zip_of([("p/api.json", json.dumps({"type": "api", "data": {"name": "J", "version": "1", "context": "/j"}}).encode()),
                                  ("p/Definitions/swagger.json", b'{"openapi":"3.0.1","info":{"title":"J","version":"1"},"paths":{}}')])),
             ("dirs.zip", zip_of([("p/", b""), ("p/Definitions/", b""), ("p/api.yaml", petstore_api)])),
             ("empty.zip", zip_of([])),
             ("noapi.zip", zip_of([("x/readme.txt", b"hello")]))]
pz = zip_seeds[0][1]
zip_seeds.append(("truncated.zip", pz[: len(pz) // 2]))
zip_seeds.append(("notzip", b"PK\x03\x04 not really"))
for d in sorted(os.listdir(os.path.join(ROOT, "tests/fixtures/rules"))):
    if d.startswith("project-"):
        for sub in sorted(os.listdir(os.path.join(ROOT, "tests/fixtures/rules", d))):
            full = os.path.join("tests/fixtures/rules", d, sub)
            if os.path.isdir(os.path.join(ROOT, full)) and not os.path.islink(os.path.join(ROOT, full)):
                try:
                    zip_seeds.append((f"{d}-{sub}.zip", zip_of(project_entries(full, sub))))
                except OSError:
                    pass
write("zip", zip_seeds)

# --- gateway_request: HTTP requests to the adapter's REST API
B = "/api/mgw/adapter/0.1"
basic = "Basic " + base64.b64encode(b"admin:admin").decode()


def req(method, target, headers=(), body=b""):
    head = f"{method} {target} HTTP/1.1\r\nHost: localhost:9843\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + b"\r\n" + body


def multipart(name, data, boundary="XyZ", filename="p.zip"):
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/zip\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()


small_zip = zip_of([("p/api.yaml", b"type: api\ndata:\n  name: Small\n  version: '1'\n  context: /small\n"),
                    ("p/Definitions/swagger.yaml", b"openapi: 3.0.1\ninfo: {title: Small, version: '1'}\n"
                     b"x-wso2-basePath: /small/1\nx-wso2-production-endpoints: {urls: ['http://127.0.0.1:1/x']}\n"
                     b"paths:\n  /a: {get: {responses: {'200': {description: OK}}}}\n"),
                    ("p/deployment_environments.yaml", deploy_env)])
gw = [("token", req("POST", B + "/oauth2/token", [("Content-Type", "application/json")], b'{"username":"admin","password":"admin"}')),
      ("token-bad", req("POST", B + "/oauth2/token", [], b'{"username":1}')),
      ("token-get", req("GET", B + "/oauth2/token")),
      ("list", req("GET", B + "/apis?query=type:http&limit=10", [("Authorization", basic)])),
      ("list-bearer", req("GET", B + "/apis", [("Authorization", "Bearer a.b.c")])),
      ("list-noauth", req("GET", B + "/apis")),
      ("list-badbasic", req("GET", B + "/apis", [("Authorization", "Basic !!!")])),
      ("undeploy", req("DELETE", B + "/apis?apiName=Small&version=1&vhost=localhost&environments=Default%3ASandbox", [("Authorization", basic)])),
      ("undeploy-plus", req("DELETE", B + "/apis?apiName=Sm+all&version=%31&&=x&vhost", [("Authorization", basic)])),
      ("deploy", req("POST", B + "/apis?override=true", [("Authorization", basic), ("Content-Type", "multipart/form-data; boundary=XyZ")], multipart("file", small_zip))),
      ("deploy-quoted", req("POST", B + "/apis", [("Authorization", basic), ("Content-Type", 'multipart/form-data; boundary="q q"; charset=x')], multipart("file", b"PK", "q q"))),
      ("deploy-noname", req("POST", B + "/apis", [("Authorization", basic), ("Content-Type", "multipart/form-data; boundary=b")], multipart("other", b"x", "b"))),
      ("deploy-override-bad", req("POST", B + "/apis?override=maybe", [("Authorization", basic), ("Content-Type", "multipart/form-data; boundary=XyZ")], multipart("file", b"PK\x03\x04"))),
      ("deploy-chunked", req("POST", B + "/apis", [("Authorization", basic), ("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n")),
      ("deploy-notmultipart", req("POST", B + "/apis", [("Authorization", basic), ("Content-Type", "application/zip")], b"PK")),
      ("other-path", req("GET", "/elsewhere?x=1")),
      ("put", req("PUT", B + "/apis", [("Authorization", basic)])),
      ("unknown", req("GET", B + "/nothing")),
      ("lf-only", b"GET " + B.encode() + b"/apis HTTP/1.1\nAuthorization: " + basic.encode() + b"\n\n")]
write("gateway_request", gw)

# --- router_request: requests to the router (see fuzz/router_request.cpp)
mint = 'Bearer @mint:{"iss":"https://localhost:9095/testkey","aud":"http://org.wso2.apimgt/gateway","sub":"admin","keytype":"%s","exp":1800000000,"scope":"am_application_scope default"}'
rt = [("get-items", req("GET", "/inventory/2.1.0/items?x=1", [("Authorization", mint % "PRODUCTION")])),
      ("get-item-sandbox", req("GET", "/inventory/2.1.0/items/42", [("Authorization", mint % "SANDBOX")])),
      ("delete-open", req("DELETE", "/inventory/2.1.0/items/42/")),
      ("files-wild", req("GET", "/inventory/2.1.0/files/a/b/c.txt", [("Authorization", mint % "PRODUCTION")])),
      ("orders-post", req("POST", "/inventory/2.1.0/orders", [("Authorization", mint % "SANDBOX"), ("Content-Type", "application/json")], b"{}")),
      ("refs-put", req("PUT", "/inventory/2.1.0/refs", [("Authorization", mint % "PRODUCTION")])),
      ("mixed", req("GET", "/inventory/2.1.0/mixed", [("Authorization", mint % "PRODUCTION")])),
      ("options", req("OPTIONS", "/inventory/2.1.0/items")),
      ("other-vhost", b"GET /inventory/2.1.0/items HTTP/1.1\r\nHost: shop.example.com:9095\r\nAuthorization: " + (mint % "PRODUCTION").encode() + b"\r\n\r\n"),
      ("unknown-vhost", b"GET /open/ HTTP/1.1\r\nHost: nowhere.example.com\r\n\r\n"),
      ("open", req("GET", "/open/")),
      ("open-params", req("PATCH", "/open/a/b?c=d")),
      ("testkey", req("POST", "/testkey", [("Authorization", basic)])),
      ("testkey-sandbox", req("POST", "/testkey", [("Authorization", basic), ("Content-Type", "application/x-www-form-urlencoded")], b"keytype=SANDBOX")),
      ("testkey-bad", req("GET", "/testkey", [("Authorization", "Basic YWRtaW46d3Jvbmc=")])),
      ("health", req("GET", "/health")),
      ("ready", req("GET", "/ready")),
      ("expired", req("GET", "/inventory/2.1.0/items", [("Authorization", 'Bearer @mint:{"iss":"https://localhost:9095/testkey","exp":1}')])),
      ("foreign-iss", req("GET", "/inventory/2.1.0/items", [("Authorization", 'Bearer @mint:{"iss":"portico-gateway","exp":1800000000}')])),
      ("garbage-token", req("GET", "/inventory/2.1.0/items", [("Authorization", "Bearer not.a.jwt")])),
      ("ipv6-host", b"GET /open/ HTTP/1.1\r\nHost: [::1]:9095\r\n\r\n"),
      ("absolute", req("GET", "http://localhost/inventory/2.1.0/items"))]
write("router_request", rt)

# --- jwt: tokens, and '!'-prefixed claims to sign
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


hdr = b64u(b'{"alg":"RS256","typ":"JWT"}')
pl = b64u(b'{"username":"admin","scope":"admin","iss":"portico-gateway","iat":1700000000,"exp":1700003600}')
sig = b64u(bytes(range(256)))
jwt_seeds = [("token", hdr + b"." + pl + b"." + sig),
             ("alg-none", b64u(b'{"alg":"none"}') + b"." + pl + b"."),
             ("hs256", b64u(b'{"alg":"HS256"}') + b"." + pl + b"." + b64u(b"x" * 32)),
             ("two-parts", hdr + b"." + pl),
             ("four-parts", hdr + b"." + pl + b".a.b"),
             ("padding", hdr + b"==." + pl + b"=." + sig),
             ("std-b64", base64.b64encode(b'{"alg":"RS256"}') + b"." + base64.b64encode(b'{"exp":"x"}') + b"./+/+"),
             ("claims", b'!{"username":"admin","exp":1800000000}'),
             ("claims-expired", b'!{"exp":1600000000}'),
             ("claims-float", b'!{"exp":1.8e9}'),
             ("claims-string", b'!{"exp":"1800000000"}'),
             ("claims-array", b'![1,2,3]'),
             ("claims-big", b'!{"exp":18446744073709551615}'),
             ("claims-neg", b'!{"exp":-1}')]
write("jwt", jwt_seeds)

# --- client_json: one byte (bits 0-1 operation: login, list, deploy,
# undeploy; bits 2-5 status index; bit 6 renewal; bit 7 override), then the body
STATUS = [200, 200, 200, 200, 401, 403, 404, 409, 413, 500, 502, 503, 400, 422, 204, 302]


def cj(op, status, body, renew=False, override=False):
    b = op | (STATUS.index(status) << 2) | (0x40 if renew else 0) | (0x80 if override else 0)
    return bytes([b]) + body


tok = hdr + b"." + pl + b"." + sig
lst = json.dumps({"count": 2, "total": 5, "list": [
    {"apiName": "Inventory", "version": "2.1.0", "apiType": "HTTP", "context": "/inventory/2.1.0", "vhost": "localhost", "gateway-envs": ["Default"]},
    {"apiName": "Other", "version": "v1", "apiType": "WS", "context": "/o", "vhost": "shop", "gateway-envs": ["Default", 3]}]}).encode()
cj_seeds = [("login", cj(0, 200, b'{"accessToken":"' + tok + b'"}')),
            ("login-notoken", cj(0, 200, b'{"token":"x"}')),
            ("login-401", cj(0, 401, b'{"code":401,"message":"invalid credentials"}')),
            ("list", cj(1, 200, lst)),
            ("list-empty", cj(1, 200, b'{"count":0,"list":[]}')),
            ("list-bad", cj(1, 200, b'{"list":{}}')),
            ("list-items-wrong", cj(1, 200, b'{"list":[1,"x",null,{"apiName":5}],"total":-1}')),
            ("list-renew", cj(1, 401, b'{"code":900901}', renew=True)),
            ("list-503", cj(1, 503, b"")),
            ("deploy-ok", cj(2, 200, b'{"message":"deployed"}')),
            ("deploy-409", cj(2, 409, lst)),
            ("deploy-409-override", cj(2, 409, lst, override=True)),
            ("deploy-413", cj(2, 413, b'{"message":"too large"}')),
            ("deploy-500", cj(2, 500, b'{"code":602,"message":"the definition is invalid"}')),
            ("deploy-500-empty", cj(2, 500, b"")),
            ("deploy-html", cj(2, 502, b"<html><body>Bad Gateway</body></html>")),
            ("undeploy-ok", cj(3, 200, b"")),
            ("undeploy-404", cj(3, 404, b'{"code":404,"message":"not found"}')),
            ("undeploy-403", cj(3, 403, b'{"message":["not","a","string"]}')),
            ("undeploy-renew", cj(3, 401, b'{"accessToken":"' + tok + b'"}', renew=True)),
            ("error-422", cj(1, 422, b'{"code":602,"message":"override must be true or false","description":null}'))]
write("client_json", cj_seeds)
