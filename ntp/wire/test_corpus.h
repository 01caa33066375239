// Hand-built seed datagrams (test-only): the replay corpus of the wire
// robustness test and the source of the fuzz seed corpora under
// testdata/fuzz/. Each seed is named; most are valid, a few deliberately
// sit just across a rejection boundary.
#ifndef NTP_WIRE_TEST_CORPUS_H_
#define NTP_WIRE_TEST_CORPUS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ntp::testing {

struct Seed {
  std::string name;  // file-name safe
  std::vector<uint8_t> bytes;
};

// NTP packets: client request, server reply, + MD5 MAC, + SHA-1 MAC,
// + crypto-NAK, extension fields with and without MAC, a KoD, older
// versions, and the lone 16-octet extension field RFC 7822 rejects.
std::vector<Seed> PacketSeeds();

// Mode 6 messages: READVAR request and response, READSTAT response, an
// authenticated request, an error reply, a middle fragment, ntpstat's
// 576-octet request.
std::vector<Seed> ControlMessageSeeds();

}  // namespace ntp::testing

#endif  // NTP_WIRE_TEST_CORPUS_H_
