// netfilter/ruleset.hpp — layer: pure rendering. A Plan becomes an abstract nftables ruleset: one table, sets and
// verdict maps holding the data, small static chains whose rules are short lists of typed terms. The text, JSON
// and libnftnl renderers all read this value, so what `export` prints is what `init` programs.
// Must not: touch a socket, make policy decisions (the Plan already decided), depend on libnftnl.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/clients.hpp"
#include "policy/ip.hpp"
#include "policy/plan.hpp"
#include "policy/plan_groups.hpp"

namespace nfegress::netfilter {

// How the inspect chain hands packets to the enforcer: the native `queue` expression (CONFIG_NFT_QUEUE) or the
// xt NFQUEUE target (revision 3) through nft_compat.
enum class QueueImpl { Native, Compat };
const char* queue_impl_name(QueueImpl q);  // "native" / "compat"

// ipv4_addr, ipv6_addr, inet_service; CtIdSeq: `typeof ct id . tcp sequence` (a concatenation of two 4-byte
// integers, 8 bytes: the SYN-ACK anchor's set, whose elements only the kernel adds).
enum class KeyType : std::uint8_t { Ipv4, Ipv6, Port, CtIdSeq };

// A verdict as stored in a verdict map or ending a rule.
struct Verdict {
  enum class Kind : std::uint8_t { Accept, Drop, Goto } kind = Kind::Accept;
  std::string chain;  // Goto only
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

// One element: [lo, hi] inclusive (lo == hi for a single key; ports use the low 16 bits).
struct Element {
  policy::u128 lo = 0;
  policy::u128 hi = 0;
  std::optional<Verdict> verdict;  // set for verdict maps
  friend bool operator==(const Element&, const Element&) = default;
};

struct Set {
  std::string name;
  KeyType key = KeyType::Ipv4;
  bool interval = false;
  bool map = false;  // `: verdict`
  std::string comment;
  std::vector<Element> elements;  // sorted by lo, disjoint
  std::uint32_t size = 0;  // a hash set's fixed capacity (`size N`; the kernel then picks its fixed-size hash); 0: none
  // `flags dynamic`: the kernel adds the elements itself (a rule's `update @SET` / `add @SET`). Never has
  // programmed elements; what the kernel added is not drift, and an unchanged one is never recreated.
  bool dynamic = false;
  bool counter = false;        // `counter`: each element counts the packets and bytes that updated it (audit sets)
  std::uint32_t timeout = 0;   // `flags timeout; timeout N` (seconds): elements expire; 0: never
  friend bool operator==(const Set&, const Set&) = default;
};

// A match term. Each is one `nft` phrase and one fixed expression sequence in libnftnl.
// ICMPv6 neighbour discovery types a host sends (RFC 4861): router solicitation, neighbour solicitation/advert.
// The TCP data offset (header length in 32-bit words) is 4 bits: 5 (no options) to 15 (40 bytes of options).
inline constexpr std::uint32_t kTcpDoffMin = 5, kTcpDoffMax = 15;
inline constexpr std::uint32_t kIcmp6RouterSolicit = 133, kIcmp6NeighborSolicit = 135, kIcmp6NeighborAdvert = 136;
// The most IPv6 payload a neighbour-discovery message needs on Ethernet (RFC 4861 section 4): a router
// solicitation is 8 bytes of header + one 8-byte source link-layer address option; a neighbour solicitation or
// advert 8 + a 16-byte target + one 8-byte link-layer address option (a DAD solicitation carries a 8-byte nonce
// option instead, RFC 7527: also 32). Nothing longer is accepted as neighbour discovery.
inline constexpr std::uint32_t kNdRouterSolicitMax = 16, kNdNeighborMax = 32;

struct Match {
  enum class Kind : std::uint8_t {
    OifLoopback,  // oif "lo"                         (loopback is ifindex 1 in every netns)
    IifLoopback,  // iif "lo"                         (forward chain: a frame received on lo)
    SkUid,        // meta skuid VALUE
    CtMark,       // ct mark & MASK == VALUE
    MetaMark,     // meta mark & MASK == VALUE
    L4Tcp,        // meta l4proto tcp
    TcpSyn,       // tcp flags & (syn | ack) == syn   (a pure SYN: the handshake is never queued)
    TcpFlags,     // tcp flags & (MASK) == VALUE      (names of the bits: `tcp flags & (fin | rst) == 0`)
    CtDirectionReply, // ct direction reply           (the packet goes from the responder to the initiator)
    CtIdSeqIn,    // ct id . tcp sequence @SET        (the SYN-ACK anchor: this segment starts the client's stream)
    TcpDoff,      // tcp doff VALUE                   (the TCP header is VALUE 32-bit words; after TcpSyn / L4Tcp)
    ThByte,       // @th,8*VALUE,8 >= 0               (the segment has a byte at offset VALUE from the TCP header: the
                  //                                   load breaks the rule when it has not; after TcpSyn / L4Tcp)
    Icmp6Type,    // icmpv6 type VALUE                (IPv6 neighbour discovery: link layer, like ARP)
    Icmp6Code,    // icmpv6 code VALUE                (after Icmp6Type)
    Ip6HopLimit,  // ip6 hoplimit VALUE               (255: never forwarded, RFC 4861 section 7.1)
    Ip6LengthMax, // ip6 length <= VALUE              (the IPv6 payload length, extension headers included)
    MetaRtclassid,// meta rtclassid >= 0              (netdev: the frame carries a route, i.e. came through the
                  //                                   IP stack; the load breaks the rule when it has none)
    LlEq,         // @ll,8*OFFSET,8*LEN == DATA        (netdev: bytes of the frame as the wire carries them)
    DportIn,      // tcp dport @SET
    Daddr4In,     // ip daddr @SET
    Daddr6In,     // ip6 daddr @SET
    Saddr4In,     // ip saddr @SET                   (the DNS answer queue: answers from --dns-servers)
    Saddr6In,     // ip6 saddr @SET
    CtEstablished,// ct state established              (the DNS answer queue: only replies to the namespace's queries)
    UdpSport,     // udp sport VALUE
    TcpSport,     // tcp sport VALUE
    CtNew,        // ct state new                    (audit: count a would-deny flow once, by its first packet)
    FibSaddrLocal,// fib saddr type local            (node mode's output chain: a packet the host sends from an
                  //                                   address of its own is the host's, never a client's)
    RpfMissing,   // fib saddr . iif oif missing     (forward: no route back to the source through the interface the
                  //                                   packet came in on, i.e. a forged source: strict reverse path)
  } kind = Kind::L4Tcp;
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  std::string set;
  std::uint32_t offset = 0, len = 0;  // LlEq: byte offset from the link-layer header and length (1..6)
  std::uint64_t data = 0;             // LlEq: the bytes as a big-endian number
  friend bool operator==(const Match&, const Match&) = default;
};

// A statement; the last one of a rule is usually a verdict.
struct Action {
  enum class Kind : std::uint8_t {
    Verdict,         // accept / drop / goto CHAIN
    RejectTcpReset,  // reject with tcp reset
    CtMarkSet,       // ct mark set ct mark & ~MASK | VALUE   (VALUE 0: `ct mark set ct mark & ~MASK`)
    Vmap,            // KEY vmap @SET   (key from `vmap_key`)
    Queue,           // queue num Q[-Q+N-1] [bypass]   (native or xt NFQUEUE)
    Counter,         // counter
    UpdateDport,     // update @SET { tcp dport } / { udp dport }   (VALUE: IPPROTO_TCP or IPPROTO_UDP; the
                     // protocol check comes with it, as nft adds it: `meta l4proto VALUE`)
    Notrack,         // notrack   (node mode's answers chain, priority raw: conntrack never sees the packet)
    MetaMarkSet,     // meta mark set meta mark & ~MASK | VALUE   (VALUE 0: `meta mark set meta mark & ~MASK`)
    AddCtIdAckseq,   // add @SET { ct id . tcp ackseq }   (the SYN-ACK anchor: where the client's stream starts)
  } kind = Kind::Verdict;
  Verdict verdict;
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  // Saddr4/Saddr6: node mode's forward chain picks the client's plan by its source address.
  enum class VmapKey : std::uint8_t { Daddr4, Daddr6, TcpDport, Saddr4, Saddr6 } vmap_key = VmapKey::Daddr4;
  std::uint8_t key_prefix = 0;  // Daddr4/Daddr6: 0 = the address, else `& MASK`: its first key_prefix bits only
  std::string set;
  std::uint16_t queue_num = 0;
  std::uint16_t queue_total = 1;
  bool bypass = false;
  QueueImpl queue_impl = QueueImpl::Compat;
  friend bool operator==(const Action&, const Action&) = default;
};

struct Rule {
  std::vector<Match> matches;
  std::vector<Action> actions;
  std::string comment;  // what the rule comes from ("EgressNetwork ns/name: tcp default", ...)
  friend bool operator==(const Rule&, const Rule&) = default;
};

inline constexpr std::int32_t kPriorityRaw = -300;  // NF_IP_PRI_RAW: before conntrack (-200)

struct Chain {
  std::string name;
  bool base = false;  // type filter hook HOOK priority filter; policy accept
  std::vector<Rule> rules;
  std::string network;  // "ns/name" for en_N chains, empty otherwise (for error messages)
  enum class Hook : std::uint8_t { Output, Forward, Input } hook = Hook::Output;  // base chains only
  std::int32_t priority = 0;  // base chains only: 0 `filter`, -300 `raw` (kPriorityRaw: before conntrack)
  friend bool operator==(const Chain&, const Chain&) = default;
};

// The netdev egress guard (netfilter/guard.hpp): `table netdev <table>`, one base chain `egress` on the egress hook
// of `devices`. No devices: the table is not programmed, and a replace removes any left from before.
struct Guard {
  std::vector<std::string> devices;  // sorted
  std::vector<Rule> rules;
  std::string off_reason;  // why there are no devices ("--no-egress-guard", "kernel without ..."), for export
  bool remove = true;      // off: the transaction removes a guard table left from before (false: none is there,
                           // no netdev message is sent: a kernel without netdev tables refuses even that)
  bool on() const { return !devices.empty(); }
  friend bool operator==(const Guard&, const Guard&) = default;
};

struct Ruleset {
  std::string table;  // table inet <table> (and table netdev <table> for the guard)
  QueueImpl queue = QueueImpl::Compat;
  std::vector<Set> sets;      // creation order = listing order
  std::vector<Chain> chains;  // creation order; chains referenced by a goto come first
  // nullopt: this ruleset leaves table netdev <table> as the kernel has it (a command that did not list the
  // interfaces: the enforcer's reload); else what the guard must be after the transaction.
  std::optional<Guard> guard;
  // One line saying what name binding learns from (dns_answers_note), for export's header; not programmed.
  std::string dns_note;
  friend bool operator==(const Ruleset&, const Ruleset&) = default;

  const Set* find_set(const std::string& name) const;
  const Chain* find_chain(const std::string& name) const;
};

// The address maps. `dst4`/`dst6` are interval maps (an rbtree in the kernel). A prefix length that holds at least
// kHashMapMin of the partition's elements gets its own hash map `dst4_L`/`dst6_L` instead, keyed by the address
// masked to L bits: the kernel inserts and commits a hash element several times faster than an interval, and one
// key replaces an interval's two. The partition is disjoint, so at most one map holds any address and the order of
// the lookups does not change a verdict.
inline constexpr std::size_t kHashMapMin = 1024;
// `prefix`: node mode names every object of a plan after it ("global_dst6_64"); pod mode has none.
std::string hash_map_name(policy::Family f, unsigned prefix_len, const std::string& prefix = {});  // "dst6_64"
std::uint32_t hash_map_size(std::size_t elements);                 // capacity with room for live updates

// Names, stable in plan order: en_<i> chain and ports_<i> map per EgressNetwork i.
std::string network_chain(std::size_t i, const std::string& prefix = {});
std::string network_ports(std::size_t i, const std::string& prefix = {});

// Plan -> Ruleset. Deterministic. Every EgressNetwork gets a chain and a ports map even when it has no port
// policies, so an update of one network is element changes and a chain flush, never a table rebuild.
// `hash_map_min`: the threshold of the hash maps (kHashMapMin; tests lower it so small policies use them too).
Ruleset build_ruleset(const policy::Plan& plan, QueueImpl queue, std::size_t hash_map_min = kHashMapMin);

// The SYN-ACK anchor (KernelOptions::syn_ack_anchor; netfilter/ruleset_inspect.cpp, docs/architecture.md "Kernel
// contract"). A pure SYN to an inspected port sets the ct mark PENDING; the server's SYN-ACK (conntrack checked
// it, `ct direction reply`) adds `ct id . tcp ackseq` (the client's first sequence number) to set `first`; the
// inspect chain keeps a PENDING flow's payload-free segments in the kernel and chain `inspect_data` queues a
// segment with payload with the packet mark ALLOW exactly when it starts at that sequence number (else none).
// Off: no set, chain or rule of it, and the inspect chain is what it was.
inline constexpr const char* kAnchorSet = "first";
inline constexpr const char* kAnchorChain = "anchor";  // pod mode's base chain (input hook) holding the SYN-ACK rule
inline constexpr const char* kInspectDataChain = "inspect_data";
inline constexpr std::uint32_t kAnchorSetSize = 262144;  // flows in their first minute, table-wide
inline constexpr std::uint32_t kAnchorTimeout = 60;      // seconds an anchor lives (the first data is long sent)
Set anchor_set();
// `tcp flags & (syn | ack) == syn | ack ct direction reply ct mark & MASK == PENDING add @first { ct id . tcp
// ackseq }`: no verdict, the packet goes on.
Rule anchor_rule(const policy::KernelOptions& k);

// Node and gateway mode (netfilter/ruleset_node.cpp; docs/architecture.md "Node mode"): one table whose forward
// chain picks each client's plan by source address (`ip saddr vmap @clients4`, `ip6 saddr vmap @clients6`:
// interval maps, CIDR : goto <plan id>) and judges the packet with the rules pod mode's output chain has, over
// the plan's own maps and chains (named "<plan id>_dst4", "<plan id>_en_0", ...). A source that is no client is
// not judged, unless it is in --deny-unknown (then denied). Shared: the ignore sets, `deny`, `inspect` (one queue contract). A client added, removed or moved to
// another plan is one element of a clients map; no DNS answer queue and no egress guard (see the docs).
inline constexpr const char* kClientMap4 = "clients4";
inline constexpr const char* kClientMap6 = "clients6";
// Issue 19 in node mode: base chain `output` (hook output, priority filter) sends what the host sends with a
// client's source address (the parked copies) to that client's plan; base chain `answers` (hook output, priority
// raw) leaves the enforcer's segments toward a client, in the server's name, untracked (ruleset_node.cpp).
inline constexpr const char* kAnswersChain = "answers";
// KernelOptions::deny_unknown given: interval sets of its prefixes and, after the client maps, `ip saddr
// @unknown4 counter goto deny` (ip6 likewise): a source in them that is no client is denied, not left unjudged.
inline constexpr const char* kUnknownSet4 = "unknown4";
inline constexpr const char* kUnknownSet6 = "unknown6";
Ruleset build_node_ruleset(const policy::KernelOptions& k, const std::vector<policy::SharedPlan>& plans,
                           const std::vector<policy::Client>& clients, QueueImpl queue,
                           std::size_t hash_map_min = kHashMapMin);

// The DNS answer queue (netfilter/ruleset_dns.cpp): with name binding on and a resolver to learn from, a base chain
// `dns_answers` on the input hook queues (counted, always with bypass) the UDP and TCP answers from the resolvers
// to kernel.dns_queue, and sets dns4/dns6 hold the resolvers (a family without one has neither set nor rules).
// Sets rs.dns_note either way.
inline constexpr const char* kDnsChain = "dns_answers";
inline constexpr std::uint32_t kDnsPort = 53;
std::string dns_set_name(policy::Family f);  // "dns4" / "dns6"
void add_dns_answers(const policy::KernelOptions& k, QueueImpl queue, Ruleset& rs);
// Node and gateway mode (issue 18): the same rules in a base chain `dns_answers` on the forward hook at
// kPriorityNodeDns (after the forward chain and its reverse-path rule), only for answers to a client (daddr in
// `clients4` / `clients6`). Sets rs.dns_note either way.
inline constexpr std::int32_t kPriorityNodeDns = 10;  // filter + 10
void add_node_dns_answers(const policy::KernelOptions& k, QueueImpl queue, Ruleset& rs, const char* clients4,
                          const char* clients6);
// The line export, init and status print: off, what is learned (servers, queue, bypass), or that nothing is
// (`node`: on the forward path, to the clients).
std::string dns_answers_note(const policy::KernelOptions& k, bool node = false);
// The DNS queue number: kernel.dns_queue once the options are finished, else the queue after the flow queues.
std::uint16_t dns_queue_num(const policy::KernelOptions& k);

// Audit (report-only) mode (netfilter/ruleset_audit.cpp). An audited EgressNetwork i sends what it would deny in
// the kernel (a port or protocol default of Deny, a Deny port) to chain audit_i instead of `deny`/drop: the first
// packet of each flow (ct state new) is counted per destination port in the dynamic counter sets audit_i_tcp and
// audit_i_udp, and every packet is accepted. Other protocols are accepted uncounted.
inline constexpr std::uint32_t kAuditSetSize = 65536;  // every port of one protocol
// `prefix`: node mode names a plan's objects after it ("global_audit_3"); pod mode has none.
std::string audit_chain(std::size_t i, const std::string& prefix = {});            // "audit_3"
std::string audit_set(std::size_t i, bool udp, const std::string& prefix = {});    // "audit_3_tcp" / "audit_3_udp"
// The inverses, for what reads the kernel back (status, the audit metrics): "audit_3_tcp" -> {"", 3, tcp},
// "ns_team-a_audit_0_udp" -> {"ns_team-a", 0, udp}; nullopt for any other name. parse_audit_chain: the plan.
struct AuditName {
  std::string plan;  // node mode's plan id ("global", "ns_<namespace>"); "" in pod mode
  std::size_t index = 0;
  bool udp = false;
  friend bool operator==(const AuditName&, const AuditName&) = default;
};
std::optional<AuditName> parse_audit_set(std::string_view name);
std::optional<std::string> parse_audit_chain(std::string_view name);
// Sets audit_i_tcp/udp for every audited network (after the ports maps), and the chains audit_i.
void add_audit_sets(const policy::Plan& plan, std::vector<Set>& sets, const std::string& prefix = {});
void add_audit_chains(const policy::Plan& plan, std::vector<Chain>& chains, const std::string& prefix = {});
// Where network i's kernel denials go: `goto audit_i` when it is audited, else `goto deny` (`drop` for non-TCP).
Verdict deny_target(const policy::Plan& plan, std::size_t i, bool tcp, const std::string& prefix = {});

// Elements of the dst4/dst6 maps from the plan's address partition (adjacent ranges of one network merged).
std::vector<Element> address_elements(const policy::Plan& plan, policy::Family f);

// Formatting helpers shared by the renderers.
std::string format_key(KeyType k, policy::u128 v);
bool element_is_prefix(KeyType k, const Element& e, unsigned& len);  // [lo,hi] is exactly one prefix
std::string icmp6_type_name(std::uint32_t type);  // nft's name ("nd-neighbor-solicit"), else the number
policy::u128 key_max(KeyType k);
policy::u128 prefix_mask(KeyType k, unsigned len);  // the first `len` bits of a key set (ip: 255.255.255.0 for 24)

}  // namespace nfegress::netfilter
