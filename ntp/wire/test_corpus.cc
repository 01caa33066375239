#include "ntp/wire/test_corpus.h"

#include <string_view>

#include "ntp/wire/big_endian.h"

namespace ntp::testing {
namespace {

using Bytes = std::vector<uint8_t>;

void Append(Bytes& out, std::initializer_list<uint8_t> octets) {
  out.insert(out.end(), octets);
}

void AppendBe16(Bytes& out, uint16_t v) {
  out.resize(out.size() + 2);
  StoreBe16(out.data() + out.size() - 2, v);
}

void AppendBe32(Bytes& out, uint32_t v) {
  out.resize(out.size() + 4);
  StoreBe32(out.data() + out.size() - 4, v);
}

void AppendRepeated(Bytes& out, size_t n, uint8_t value) {
  out.insert(out.end(), n, value);
}

// An extension field with a counting-pattern body.
void AppendField(Bytes& out, uint16_t type, uint16_t length) {
  AppendBe16(out, type);
  AppendBe16(out, length);
  for (size_t i = 4; i < length; ++i) out.push_back(static_cast<uint8_t>(i));
}

void AppendMac(Bytes& out, uint32_t key_id, size_t digest_octets) {
  AppendBe32(out, key_id);
  for (size_t i = 0; i < digest_octets; ++i) {
    out.push_back(static_cast<uint8_t>(0xA0 + i));
  }
}

// ntpdig-style request: LI 3, VN 4, mode 3, everything zero but a random
// transmit timestamp.
Bytes ClientRequest(uint8_t first_octet = 0xE3) {
  Bytes b = {first_octet, 0, 0, 0};
  AppendRepeated(b, 36, 0);
  Append(b, {0xE9, 0x3C, 0x5A, 0x71, 0x3D, 0x2B, 0x8F, 0x11});
  return b;
}

// Server reply: LI 0, VN 4, mode 4, stratum 2, poll 6, precision -23, root
// delay 0.0123 s, root dispersion 0.0456 s, refid 192.0.2.1.
Bytes ServerReply() {
  Bytes b = {0x24, 0x02, 0x06, 0xE9};
  Append(b, {0x00, 0x00, 0x03, 0x26});  // root delay
  Append(b, {0x00, 0x00, 0x0B, 0xAC});  // root dispersion
  Append(b, {192, 0, 2, 1});            // refid
  Append(b, {0xE9, 0x3C, 0x5A, 0x00, 0x10, 0x00, 0x00, 0x00});  // reference
  Append(b, {0xE9, 0x3C, 0x5A, 0x71, 0x3D, 0x2B, 0x8F, 0x11});  // origin
  Append(b, {0xE9, 0x3C, 0x5A, 0x71, 0x3E, 0x00, 0x01, 0x02});  // receive
  Append(b, {0xE9, 0x3C, 0x5A, 0x71, 0x3E, 0x00, 0x42, 0x17});  // transmit
  return b;
}

Bytes KissOfDeathRate() {
  Bytes b = ServerReply();
  b[0] = 0xE4;  // LI 3, VN 4, mode 4
  b[1] = 0;     // stratum 0
  b[12] = 'R';
  b[13] = 'A';
  b[14] = 'T';
  b[15] = 'E';
  return b;
}

Bytes ControlHeader(uint8_t first, uint8_t rem_op, uint16_t sequence,
                    uint16_t status, uint16_t association_id, uint16_t offset,
                    uint16_t count) {
  Bytes b = {first, rem_op};
  for (uint16_t v : {sequence, status, association_id, offset, count}) {
    AppendBe16(b, v);
  }
  return b;
}

Bytes ControlWithText(uint8_t first, uint8_t rem_op, uint16_t sequence,
                      uint16_t status, uint16_t offset, std::string_view text) {
  Bytes b = ControlHeader(first, rem_op, sequence, status, 0, offset,
                          static_cast<uint16_t>(text.size()));
  b.insert(b.end(), text.begin(), text.end());
  while (b.size() % 4 != 0) b.push_back(0);
  return b;
}

}  // namespace

std::vector<Seed> PacketSeeds() {
  std::vector<Seed> seeds;
  seeds.push_back({"client_request", ClientRequest()});
  seeds.push_back({"server_reply", ServerReply()});
  {
    Bytes b = ClientRequest();
    AppendMac(b, 1, 16);
    seeds.push_back({"client_request_md5_mac", b});
  }
  {
    Bytes b = ServerReply();
    AppendMac(b, 65535, 20);
    seeds.push_back({"server_reply_sha1_mac", b});
  }
  {
    Bytes b = ServerReply();
    AppendMac(b, 0, 0);
    seeds.push_back({"server_reply_crypto_nak", b});
  }
  {
    // RFC 7822 §7.5 rejects a lone 16-octet field with no MAC after it
    // (kBadMacLength); kept because its mutations are interesting.
    Bytes b = ClientRequest();
    AppendField(b, 0x0104, 16);
    seeds.push_back({"ext16_alone_rejected", b});
  }
  {
    Bytes b = ClientRequest();
    AppendField(b, 0x0104, 28);
    seeds.push_back({"ext28_alone", b});
  }
  {
    Bytes b = ClientRequest();
    AppendField(b, 0x0104, 16);
    AppendMac(b, 7, 16);
    seeds.push_back({"ext16_md5_mac", b});
  }
  {
    Bytes b = ServerReply();
    AppendField(b, 0x0104, 16);
    AppendField(b, 0xF00D, 36);
    AppendMac(b, 9, 20);
    seeds.push_back({"ext16_ext36_sha1_mac", b});
  }
  {
    Bytes b = ClientRequest();
    AppendField(b, 0x0204, 16);
    AppendField(b, 0x0404, 28);
    seeds.push_back({"ext16_ext28", b});
  }
  seeds.push_back({"kod_rate", KissOfDeathRate()});
  {
    Bytes b = ClientRequest(0x1B);  // LI 0, VN 3, mode 3
    AppendMac(b, 3, 16);
    seeds.push_back({"v3_client_md5_mac", b});
  }
  seeds.push_back({"v1_mode0", ClientRequest(0x08)});  // LI 0, VN 1, mode 0
  seeds.push_back({"v4_symmetric_active", ClientRequest(0x21)});
  return seeds;
}

std::vector<Seed> ControlMessageSeeds() {
  std::vector<Seed> seeds;
  // Classic ntpq READVAR of the system variables: LI 0, VN 2, mode 6.
  seeds.push_back(
      {"readvar_request", ControlHeader(0x16, 0x02, 1, 0, 0, 0, 0)});
  seeds.push_back({"readvar_request_names",
                   ControlWithText(0x16, 0x02, 2, 0, 0, "version,stratum")});
  seeds.push_back({"readvar_response",
                   ControlWithText(0x16, 0x82, 2, 0x0618, 0,
                                   "version=\"ntpd 4.2.8p15\", stratum=2,\r\n"
                                   "refid=192.0.2.1\r\n")});
  {
    // READSTAT response: association ID / peer status pairs.
    Bytes b = ControlHeader(0x16, 0x81, 3, 0x0618, 0, 0, 8);
    Append(b, {0xB4, 0x6B, 0x96, 0x1A, 0xB4, 0x6C, 0x94, 0x14});
    seeds.push_back({"readstat_response", b});
  }
  {
    // Authenticated READVAR (ntpsec ntpq, LI 3): data padded to 8, MD5 MAC.
    Bytes b = ControlWithText(0xD6, 0x02, 4, 0, 0, "sys_jitter");
    while (b.size() % 8 != 0) b.push_back(0);
    AppendMac(b, 1, 16);
    seeds.push_back({"readvar_request_md5_mac", b});
  }
  seeds.push_back({"error_unknown_variable",
                   ControlHeader(0x16, 0xC2, 5, 0x0500, 0, 0, 0)});
  seeds.push_back(
      {"readvar_response_fragment",
       ControlWithText(0x16, 0xA2, 6, 0x0618, 468, "tai=37, leapsec=2017")});
  {
    Bytes b = ControlHeader(0x16, 0x01, 7, 0, 0, 0, 0);
    AppendRepeated(b, 576 - b.size(), 0);
    seeds.push_back({"ntpstat_576_octets", b});
  }
  return seeds;
}

}  // namespace ntp::testing
