#include <doctest/doctest.h>

#include <string>

#include "doc/document.hpp"

using namespace portico;
using doc::Kind;

namespace {
const doc::Node* at(const doc::Node* n, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    REQUIRE(n);
    n = n->get(k);
  }
  return n;
}
}  // namespace

TEST_CASE("doc: YAML nodes carry 1-based line and column of keys and values") {
  auto d = doc::parse("t.yaml", "openapi: 3.0.1\ninfo:\n  title: \"Pet Store\"\n  version: 1.0\n");
  REQUIRE(d.root);
  CHECK(d.findings.empty());
  const doc::Node* info = d.root->get("info");
  REQUIRE(info);
  CHECK(info->line == 3);
  CHECK(info->column == 3);
  const doc::Node* key = info->get_key("version");
  CHECK(key->line == 4);
  CHECK(key->column == 3);
  const doc::Node* v = info->get("version");
  CHECK(v->line == 4);
  CHECK(v->column == 12);
  CHECK(v->kind == Kind::Float);  // an unquoted 1.0 is a number
  CHECK(info->get("title")->kind == Kind::String);
  CHECK(info->get("title")->quoted);
  CHECK(d.root->get("openapi")->kind == Kind::String);  // 3.0.1 is not a number
}

TEST_CASE("doc: YAML 1.2 core schema resolution of plain scalars") {
  auto d = doc::parse("t.yaml",
                      "a: 2.0\nb: '2.0'\nc: 10\nd: true\ne: ~\nf: null\ng:\nh: 0x1F\ni: yes\nj: 1e3\nk: !!str 5\n");
  REQUIRE(d.root);
  CHECK(d.root->get("a")->kind == Kind::Float);
  CHECK(d.root->get("b")->kind == Kind::String);
  CHECK(d.root->get("c")->kind == Kind::Int);
  CHECK(d.root->get("d")->kind == Kind::Bool);
  CHECK(d.root->get("e")->kind == Kind::Null);
  CHECK(d.root->get("f")->kind == Kind::Null);
  CHECK(d.root->get("g")->kind == Kind::Null);
  CHECK(d.root->get("h")->kind == Kind::Int);
  CHECK(d.root->get("i")->kind == Kind::String);  // YAML 1.2: yes is a string
  CHECK(d.root->get("j")->kind == Kind::Float);
  CHECK(d.root->get("k")->kind == Kind::String);
}

TEST_CASE("doc: JSON nodes carry positions of keys, strings, numbers, literals and containers") {
  std::string src =
      "{\n"
      "  \"openapi\": \"3.0.1\",\n"
      "  \"info\": {\"title\": \"a \\\"quoted\\\" title\", \"version\": 12.5},\n"
      "  \"flags\": [true, null, -3]\n"
      "}\n";
  auto d = doc::parse("t.json", src);
  REQUIRE(d.root);
  CHECK(d.format == doc::Format::Json);
  CHECK(d.findings.empty());
  CHECK(d.root->line == 1);
  CHECK(d.root->column == 1);
  const doc::Node* k = d.root->get_key("info");
  CHECK(k->line == 3);
  CHECK(k->column == 3);
  const doc::Node* info = d.root->get("info");
  CHECK(info->column == 11);
  const doc::Node* title = info->get("title");
  CHECK(title->text == "a \"quoted\" title");
  CHECK(title->column == 21);
  const doc::Node* ver = info->get("version");
  CHECK(ver->kind == Kind::Float);
  CHECK(ver->text == "12.5");
  CHECK(ver->column == 54);
  const doc::Node* flags = d.root->get("flags");
  REQUIRE(flags->size() == 3);
  CHECK(flags->item(0)->kind == Kind::Bool);
  CHECK(flags->item(0)->column == 13);
  CHECK(flags->item(1)->kind == Kind::Null);
  CHECK(flags->item(1)->column == 19);
  CHECK(flags->item(2)->kind == Kind::Int);
  CHECK(flags->item(2)->text == "-3");
  CHECK(flags->item(2)->column == 25);
}

TEST_CASE("doc: the format is sniffed from the first non-space character, not the extension") {
  CHECK(doc::sniff_format("  \n{\"a\": 1}") == doc::Format::Json);
  CHECK(doc::sniff_format("a: 1") == doc::Format::Yaml);
  auto d = doc::parse("looks.yaml", "{\"a\": 1}");
  CHECK(d.format == doc::Format::Json);
}

TEST_CASE("doc: duplicate keys are findings at the later key, and the last value wins") {
  auto d = doc::parse("t.yaml", "paths:\n  /a:\n    get: 1\n    get: 2\n");
  REQUIRE(d.root);
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].rule == "duplicate-key");
  CHECK(d.findings[0].line == 4);
  CHECK(d.findings[0].column == 5);
  CHECK(d.findings[0].pointer == "/paths/~1a/get");
  CHECK(at(d.root, {"paths", "/a", "get"})->text == "2");

  auto j = doc::parse("t.json", "{\"a\": {\"b\": 1,\n \"b\": 2}}");
  REQUIRE(j.findings.size() == 1);
  CHECK(j.findings[0].line == 2);
  CHECK(j.findings[0].column == 2);
  CHECK(j.findings[0].pointer == "/a/b");
}

TEST_CASE("doc: duplicate keys are found in large maps too") {
  std::string src;
  for (int i = 0; i < 500; ++i) src += "k" + std::to_string(i) + ": 1\n";
  src += "k250: 2\n";
  auto d = doc::parse("t.yaml", src);
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].line == 501);
}

// Found by fuzz/doc: the pointer of a duplicate inside a map used as a key
// read kids[-1] of the map holding that key.
TEST_CASE("doc: a duplicate key inside a complex key points at the map holding that key") {
  auto d = doc::parse("t.yaml", "base: {{a: 1, a: 2}: x}\n");
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].rule == "duplicate-key");
  CHECK(d.findings[0].pointer == "/base");
  auto deeper = doc::parse("t.yaml", "p:\n  - {? [{k: 1, k: 2}] : v}\n");
  REQUIRE(deeper.findings.size() == 1);
  CHECK(deeper.findings[0].pointer == "/p/0");
}

TEST_CASE("doc: nesting past the limit is a syntax finding, not a crash") {
  std::string deep_json(100000, '[');
  deep_json += std::string(100000, ']');
  auto j = doc::parse("deep.json", deep_json);
  CHECK_FALSE(j.root);
  REQUIRE(j.findings.size() == 1);
  CHECK(j.findings[0].rule == "syntax");
  CHECK(j.findings[0].message.find("nesting deeper") != std::string::npos);

  std::string deep_yaml(50000, '[');
  deep_yaml += std::string(50000, ']');
  auto y = doc::parse("deep.yaml", deep_yaml);
  CHECK_FALSE(y.root);
  REQUIRE(y.findings.size() == 1);
  CHECK(y.findings[0].rule == "syntax");
}

TEST_CASE("doc: a YAML alias bomb stops at the expansion budget") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  const char* names = "abcdefghij";
  for (int i = 1; i < 10; ++i) {
    bomb += std::string(1, names[i]) + ": &" + names[i] + " [";
    for (int k = 0; k < 9; ++k) bomb += std::string(k ? ", *" : "*") + names[i - 1];
    bomb += "]\n";
  }
  doc::Limits limits;
  limits.max_expanded_nodes = 100000;
  auto d = doc::parse("bomb.yaml", bomb, limits);
  CHECK_FALSE(d.root);
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].rule == "syntax");
  CHECK(d.findings[0].message.find("alias") != std::string::npos);
}

TEST_CASE("doc: aliases within budget are shared, and merge keys apply") {
  auto d = doc::parse("t.yaml",
                      "base: &b {urls: [http://a.example.com], type: failover}\n"
                      "copy: *b\n"
                      "merged:\n  <<: *b\n  type: loadbalance\n");
  REQUIRE(d.root);
  CHECK(d.findings.empty());
  CHECK(d.root->get("copy") == d.root->get("base"));
  const doc::Node* m = d.root->get("merged");
  CHECK(m->get("type")->text == "loadbalance");
  CHECK(m->get("urls"));
}

TEST_CASE("doc: a recursive alias is a syntax finding") {
  auto d = doc::parse("t.yaml", "a: &x\n  b: *x\n");
  CHECK_FALSE(d.root);
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].rule == "syntax");
}

TEST_CASE("doc: a second YAML document is a syntax finding at its start") {
  auto d = doc::parse("t.yaml", "openapi: 3.0.0\n---\nb: 1\n");
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].rule == "syntax");
  CHECK(d.findings[0].line == 2);
}

TEST_CASE("doc: malformed YAML and JSON give the parser's position and nothing else") {
  auto y = doc::parse("t.yaml", "a: 1\na: 2\nb: [1, 2\nc: 3\n");
  REQUIRE(y.findings.size() == 1);  // the duplicate before the error is not reported
  CHECK(y.findings[0].rule == "syntax");
  CHECK(y.findings[0].line >= 3);

  auto j = doc::parse("t.json", "{\"a\": 1,\n \"b\": }\n");
  REQUIRE(j.findings.size() == 1);
  CHECK(j.findings[0].rule == "syntax");
  CHECK(j.findings[0].line == 2);
  CHECK(j.findings[0].column == 7);
}

TEST_CASE("doc: empty, binary and non-UTF-8 input") {
  auto e = doc::parse("e.yaml", "  \n\n");
  REQUIRE(e.root);
  CHECK(e.root->is_null());
  CHECK(e.findings.empty());

  auto b = doc::parse("b.yaml", std::string("abc\0def", 7));
  CHECK_FALSE(b.root);
  REQUIRE(b.findings.size() == 1);
  CHECK(b.findings[0].message.find("binary") != std::string::npos);

  auto u = doc::parse("u.yaml", "a: 1\nb: caf\xE9\n");
  CHECK_FALSE(u.root);
  REQUIRE(u.findings.size() == 1);
  CHECK(u.findings[0].line == 2);
  CHECK(u.findings[0].column == 7);
  CHECK(u.findings[0].message.find("UTF-8") != std::string::npos);
}

TEST_CASE("doc: a UTF-8 byte order mark is accepted") {
  auto d = doc::parse("t.yaml", "\xEF\xBB\xBFopenapi: 3.0.0\n");
  REQUIRE(d.root);
  CHECK(d.root->get("openapi"));
}

TEST_CASE("doc: pointers escape '/' and '~'") {
  CHECK(doc::Pointer::escape("/pets/{id}") == "~1pets~1{id}");
  CHECK(doc::Pointer::escape("a~b") == "a~0b");
  auto d = doc::parse("t.yaml", "paths:\n  /a~b:\n    x: [1, 2]\n");
  const doc::Node* target = d.root->get("paths")->get("/a~b")->get("x")->item(1);
  CHECK(doc::pointer_of(d.root, target) == "/paths/~1a~0b/x/1");
}

// Issue 12 item 3: the merge compared each merged key with every key set so
// far, quadratic (160,000 keys: 59 s). 200,000 here: about a second when
// linear, over a minute when quadratic.
TEST_CASE("doc: a merge key over 200,000 keys keeps the map's own values and adds every other key once") {
  constexpr int kKeys = 200000;
  std::string y = "base: &b\n";
  for (int i = 0; i < kKeys; ++i) y += "  k" + std::to_string(i) + ": v" + std::to_string(i) + "\n";
  y += "merged:\n  k7: own\n  <<: *b\n  extra: 1\n";
  auto d = doc::parse("t.yaml", y);
  REQUIRE(d.root);
  CHECK(d.findings.empty());
  const doc::Node* m = d.root->get("merged");
  REQUIRE(m);
  CHECK(m->size() == static_cast<std::size_t>(kKeys) + 1);  // k0..k199999 once, plus extra
  CHECK(m->get("k7")->text == "own");
  CHECK(m->get("k199999")->text == "v199999");
  CHECK(m->get("extra")->text == "1");
}

TEST_CASE("doc: pointers_of finds many nodes' pointers in one walk") {
  auto d = doc::parse("t.yaml", "a:\n  b: [x, y]\n  c/d: {e~f: z}\n");
  REQUIRE(d.root);
  const doc::Node* y = d.root->get("a")->get("b")->item(1);
  const doc::Node* z = d.root->get("a")->get("c/d")->get("e~f");
  doc::Node other;
  auto p = doc::pointers_of(d.root, {y, z, &other, d.root});
  CHECK(p[y] == "/a/b/1");
  CHECK(p[z] == "/a/c~1d/e~0f");
  CHECK(p[&other].empty());
  CHECK(p[d.root].empty());
}

// Issue 10 item 14: a 37 MB definition has about four million nodes; at 80
// bytes each the tree alone took 320 MB. Packed, a node is 72 bytes.
TEST_CASE("doc: a node takes at most 72 bytes") { CHECK(sizeof(doc::Node) <= 72); }
