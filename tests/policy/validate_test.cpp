// tests/policy/validate_test.cpp — one test per validation error rule (docs/policy-reference.md, "EgressNetwork",
// which follows Linkerd's admission webhook, and our own additions), asserting the exact text with file:line and
// field. Each would fail without its rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "load_test_util.hpp"
#include "policy/validate.hpp"
#include "policy/validate_internal.hpp"

namespace nfegress::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::errors;
using testing::load_and_validate;

const std::string kEnHead = "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: en, namespace: ns}\n";

// An EgressNetwork whose spec body starts on line 5 (after `spec:` on line 4).
std::vector<std::string> en_errors(const std::string& spec_body) {
  return errors(load_and_validate(kEnHead + "spec:\n" + spec_body).diagnostics);
}

TEST(Validate, ValidEgressNetworkHasNoErrors) {
  EXPECT_THAT(en_errors("  trafficPolicy: Allow\n  networks:\n  - cidr: 203.0.113.0/24\n    except: [203.0.113.8/29, 203.0.113.1]\n"),
              IsEmpty());
}

TEST(Validate, EmptyNetworks) {
  EXPECT_THAT(en_errors("  trafficPolicy: Deny\n  networks: []\n"),
              ElementsAre("t.yaml:6: EgressNetwork ns/en: spec.networks: at least one network must be specified"));
}

TEST(Validate, ExceptOutsideCidr) {
  EXPECT_THAT(en_errors("  trafficPolicy: Deny\n  networks:\n  - cidr: 10.0.0.0/8\n    except:\n    - 11.0.0.0/8\n"
                        "    - 2001:db8::/32\n"),
              ElementsAre("t.yaml:9: EgressNetwork ns/en: spec.networks[0].except[0]: cidr '10.0.0.0/8' does not "
                          "include exception '11.0.0.0/8'",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[0].except[1]: cidr '10.0.0.0/8' does not "
                          "include exception '2001:db8::/32'"));
}

TEST(Validate, ExceptNegatesCidr) {
  EXPECT_THAT(en_errors("  trafficPolicy: Deny\n  networks:\n  - cidr: 192.0.2.1/24\n    except: [192.0.2.0/24]\n"
                        "  - cidr: 198.51.100.7\n    except: [198.51.100.7]\n"),
              ElementsAre("t.yaml:8: EgressNetwork ns/en: spec.networks[0].except[0]: cidr '192.0.2.1/24' is "
                          "completely negated by exception '192.0.2.0/24'",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[1].except[0]: cidr '198.51.100.7' is "
                          "completely negated by exception '198.51.100.7'"));
}

// Linkerd's admission webhook checks each except for "completely negated" before "does not include": an except
// larger than its cidr (it covers the cidr, so the cidr does not include it either) is "completely negated".
TEST(Validate, ExceptLargerThanCidrIsNegatedFirst) {
  EXPECT_THAT(en_errors("  trafficPolicy: Deny\n  networks:\n  - cidr: 192.0.2.0/24\n    except: [192.0.0.0/16]\n"
                        "  - cidr: 198.51.100.7\n    except: [198.51.100.0/24, 2001:db8::/32, 198.51.101.0/24]\n"),
              ElementsAre("t.yaml:8: EgressNetwork ns/en: spec.networks[0].except[0]: cidr '192.0.2.0/24' is "
                          "completely negated by exception '192.0.0.0/16'",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[1].except[0]: cidr '198.51.100.7' is "
                          "completely negated by exception '198.51.100.0/24'",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[1].except[1]: cidr '198.51.100.7' does not "
                          "include exception '2001:db8::/32'",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[1].except[2]: cidr '198.51.100.7' does not "
                          "include exception '198.51.101.0/24'"));
}

TEST(Validate, BadCidrAndBadExcept) {
  EXPECT_THAT(en_errors("  trafficPolicy: Deny\n  networks:\n  - cidr: 10.0.0.0/33\n  - cidr: not-an-ip\n"
                        "  - cidr: 10.0.0.0/8\n    except: [10.1.0.0/99, \"\"]\n"),
              ElementsAre("t.yaml:7: EgressNetwork ns/en: spec.networks[0].cidr: invalid cidr '10.0.0.0/33': not a "
                          "CIDR or IP address",
                          "t.yaml:8: EgressNetwork ns/en: spec.networks[1].cidr: invalid cidr 'not-an-ip': not a CIDR "
                          "or IP address",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[2].except[0]: invalid except '10.1.0.0/99': "
                          "not a CIDR or IP address",
                          "t.yaml:10: EgressNetwork ns/en: spec.networks[2].except[1]: invalid except '': not a CIDR "
                          "or IP address"));
}

TEST(Validate, TrafficPolicyIsCaseSensitive) {
  EXPECT_THAT(en_errors("  trafficPolicy: allow\n"),
              ElementsAre("t.yaml:5: EgressNetwork ns/en: spec.trafficPolicy: unknown trafficPolicy 'allow': must be "
                          "Allow or Deny (case-sensitive)"));
  EXPECT_THAT(en_errors("  trafficPolicy: AllowAll\n"),
              ElementsAre("t.yaml:5: EgressNetwork ns/en: spec.trafficPolicy: unknown trafficPolicy 'AllowAll': must "
                          "be Allow or Deny (case-sensitive)"));
}

TEST(Validate, TrafficPolicyRequired) {
  EXPECT_THAT(en_errors("  networks: [{cidr: 203.0.113.0/24}]\n"),
              ElementsAre("t.yaml:5: EgressNetwork ns/en: spec.trafficPolicy: required (Allow or Deny)"));
}

TEST(Validate, OpaquePortsAnnotationMustBeAPortList) {
  const auto r = load_and_validate(
      "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n  name: en\n  annotations:\n"
      "    config.linkerd.io/opaque-ports: \"5432,abc\"\nspec: {trafficPolicy: Deny}\n");
  EXPECT_THAT(errors(r.diagnostics),
              ElementsAre("t.yaml:6: EgressNetwork default/en: metadata.annotations.config.linkerd.io/opaque-ports: "
                          "invalid port list '5432,abc' (e.g. \"25,587,1000-1010\")"));
}

TEST(Validate, ParsePortList) {
  EXPECT_EQ(parse_port_list("25, 587,1000-1002"), (std::vector<std::uint16_t>{25, 587, 1000, 1001, 1002}));
  EXPECT_FALSE(parse_port_list("0"));
  EXPECT_FALSE(parse_port_list("65536"));
  EXPECT_FALSE(parse_port_list("10-5"));
  EXPECT_FALSE(parse_port_list("1,,2"));
}

TEST(Validate, DuplicateNamesSameKindAndNamespace) {
  const std::string en = "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: a}\n"
                         "spec: {trafficPolicy: Deny}\n";
  const std::string other_ns = "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n"
                               "metadata: {name: a, namespace: x}\nspec: {trafficPolicy: Deny}\n";
  const std::string tcp = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: a}\n"
                          "spec: {rules: [{}]}\n";
  const auto r = load_and_validate(en + "---\n" + other_ns + "---\n" + tcp + "---\n" + en + "---\n" + tcp);
  EXPECT_THAT(errors(r.diagnostics),
              ElementsAre("t.yaml:18: EgressNetwork default/a: metadata.name: duplicate EgressNetwork default/a "
                          "(first defined at t.yaml:1)",
                          "t.yaml:23: TCPRoute default/a: metadata.name: duplicate TCPRoute default/a (first defined "
                          "at t.yaml:11)"));
}

TEST(Validate, GatewayAndLinkerdHttpRoutesMayShareAName) {
  const auto r = load_and_validate(
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: h}\nspec: {}\n---\n"
      "apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\nmetadata: {name: h}\nspec: {}\n");
  EXPECT_THAT(errors(r.diagnostics), IsEmpty());
}

const std::string kRouteHead = "metadata: {name: r, namespace: app}\nspec:\n";
const std::string kParent80 =
    "  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: en, namespace: app, port: 80}]\n";

std::vector<std::string> route_errors(const std::string& api_kind, const std::string& spec_body) {
  return errors(load_and_validate(api_kind + kRouteHead + spec_body).diagnostics);
}

const std::string kHttp = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n";
const std::string kGrpc = "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n";
const std::string kTls = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\n";
const std::string kTcp = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n";

TEST(Validate, EgressNetworkParentNeedsAPort) {
  EXPECT_THAT(route_errors(kHttp, "  parentRefs:\n  - {group: policy.linkerd.io, kind: EgressNetwork, name: en}\n"
                                  "  - {group: POLICY.linkerd.io, kind: egressnetwork, name: en}\n"
                                  "  - {kind: EgressNetwork, name: en}\n"),
              ElementsAre("t.yaml:6: HTTPRoute app/r: spec.parentRefs[0]: cannot target an EgressNetwork without "
                          "specifying a port",
                          "t.yaml:7: HTTPRoute app/r: spec.parentRefs[1]: cannot target an EgressNetwork without "
                          "specifying a port"));
}

TEST(Validate, TlsAndTcpRoutesHaveExactlyOneRule) {
  EXPECT_THAT(route_errors(kTls, kParent80 + "  rules: [{}, {}]\n"),
              ElementsAre("t.yaml:6: TLSRoute app/r: spec.rules: a TLSRoute must have exactly one rule, but 2 were "
                          "provided"));
  EXPECT_THAT(route_errors(kTcp, kParent80),
              ElementsAre("t.yaml:5: TCPRoute app/r: spec.rules: a TCPRoute must have exactly one rule, but 0 were "
                          "provided"));
  EXPECT_THAT(route_errors(kTcp, kParent80 + "  rules: [{}]\n"), IsEmpty());
  EXPECT_THAT(route_errors(kHttp, kParent80 + "  rules: [{}, {}]\n"), IsEmpty());
}

TEST(Validate, Hostnames) {
  EXPECT_THAT(route_errors(kTls, kParent80 + "  rules: [{}]\n  hostnames:\n  - httpbin.org\n  - '*.Example.com'\n"
                                             "  - a-b.c0.example\n  - bad_name.com\n  - '*'\n  - 'a.*.com'\n"
                                             "  - -a.com\n  - a-.com\n  - a..b\n  - 192.0.2.1\n  - ''\n"),
              ElementsAre("t.yaml:11: TLSRoute app/r: spec.hostnames[3]: invalid hostname 'bad_name.com': must be a "
                          "DNS name, or '*.' followed by one",
                          "t.yaml:12: TLSRoute app/r: spec.hostnames[4]: invalid hostname '*': must be a DNS name, or "
                          "'*.' followed by one",
                          "t.yaml:13: TLSRoute app/r: spec.hostnames[5]: invalid hostname 'a.*.com': must be a DNS "
                          "name, or '*.' followed by one",
                          "t.yaml:14: TLSRoute app/r: spec.hostnames[6]: invalid hostname '-a.com': must be a DNS "
                          "name, or '*.' followed by one",
                          "t.yaml:15: TLSRoute app/r: spec.hostnames[7]: invalid hostname 'a-.com': must be a DNS "
                          "name, or '*.' followed by one",
                          "t.yaml:16: TLSRoute app/r: spec.hostnames[8]: invalid hostname 'a..b': must be a DNS "
                          "name, or '*.' followed by one",
                          "t.yaml:17: TLSRoute app/r: spec.hostnames[9]: invalid hostname '192.0.2.1': must be a DNS "
                          "name, or '*.' followed by one",
                          "t.yaml:18: TLSRoute app/r: spec.hostnames[10]: invalid hostname '': must be a DNS name, or "
                          "'*.' followed by one"));
  EXPECT_TRUE(valid_hostname(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(valid_hostname(std::string(64, 'a') + ".com"));
}

TEST(Validate, RegularExpressions) {
  EXPECT_THAT(
      route_errors(kHttp, kParent80 + "  rules:\n  - matches:\n    - path: {type: RegularExpression, value: '/a(b'}\n"
                                      "      headers: [{type: RegularExpression, name: x, value: '[z'}]\n"
                                      "      queryParams: [{type: RegularExpression, name: q, value: '*'}]\n"
                                      "    - path: {type: RegularExpression, value: '/v[0-9]+/.*'}\n"),
      ElementsAre("t.yaml:8: HTTPRoute app/r: spec.rules[0].matches[0].path.value: invalid regular expression '/a(b': "
                  "Mismatched '(' and ')' in regular expression",
                  "t.yaml:9: HTTPRoute app/r: spec.rules[0].matches[0].headers[0].value: invalid regular expression "
                  "'[z': Unexpected character within '[...]' in regular expression",
                  "t.yaml:10: HTTPRoute app/r: spec.rules[0].matches[0].queryParams[0].value: invalid regular "
                  "expression '*': Mismatched '(' and ')' in regular expression"));
  EXPECT_THAT(route_errors(kGrpc, kParent80 + "  rules:\n  - matches:\n"
                                              "    - method: {type: RegularExpression, service: 'a(', method: 'ok.*'}\n"),
              ElementsAre("t.yaml:8: GRPCRoute app/r: spec.rules[0].matches[0].method.service: invalid regular "
                          "expression 'a(': Mismatched '(' and ')' in regular expression"));
}

TEST(Validate, RegularExpressionResourceBounds) {
  EXPECT_EQ(detail::regex_problem("a{1000}{1000}"), "repetition counts too large");
  EXPECT_EQ(detail::regex_problem(std::string(20, '(') + "a" + std::string(20, ')')),
            "groups nested deeper than 16");
  EXPECT_EQ(detail::regex_problem(std::string(1025, 'a')), "longer than 1024 characters");
  EXPECT_EQ(detail::regex_problem("a{2,5}(b|c)+"), "");
}

TEST(Validate, PathsHeaderNamesMethods) {
  EXPECT_THAT(route_errors(kHttp, kParent80 + "  rules:\n  - matches:\n    - path: {type: Exact, value: get}\n"
                                              "      headers: [{name: 'bad name', value: v}]\n"
                                              "      queryParams: [{name: 'q=', value: v}]\n"
                                              "      method: get\n"
                                              "    - path: {value: ''}\n"),
              ElementsAre("t.yaml:8: HTTPRoute app/r: spec.rules[0].matches[0].path.value: path 'get' must start with "
                          "'/'",
                          "t.yaml:9: HTTPRoute app/r: spec.rules[0].matches[0].headers[0].name: invalid header name "
                          "'bad name'",
                          "t.yaml:10: HTTPRoute app/r: spec.rules[0].matches[0].queryParams[0].name: invalid query "
                          "parameter name 'q='",
                          "t.yaml:11: HTTPRoute app/r: spec.rules[0].matches[0].method: unsupported method 'get' (GET, "
                          "HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE or PATCH)",
                          "t.yaml:12: HTTPRoute app/r: spec.rules[0].matches[1].path.value: path '' must start with "
                          "'/'"));
}

TEST(Validate, GrpcMethodNeedsServiceOrMethod) {
  EXPECT_THAT(route_errors(kGrpc, kParent80 + "  rules:\n  - matches:\n    - method: {type: Exact}\n"),
              ElementsAre("t.yaml:8: GRPCRoute app/r: spec.rules[0].matches[0].method: one of service or method must "
                          "be specified"));
}

TEST(Validate, ErrorsAreCollectedNotFirstOnly) {
  const auto r = load_and_validate(kEnHead + "spec:\n  trafficPolicy: deny\n  networks:\n  - cidr: x\n  - cidr: y\n" +
                                   "---\n" + kTls + kRouteHead + "  parentRefs: [{group: policy.linkerd.io, kind: "
                                   "EgressNetwork, name: en}]\n  hostnames: [bad_host]\n");
  EXPECT_EQ(errors(r.diagnostics).size(), 6u);
}

}  // namespace
}  // namespace nfegress::policy
