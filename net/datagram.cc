#include "net/datagram.h"

namespace net {

const char* RxTimestampSourceName(RxTimestampSource source) {
  switch (source) {
    case RxTimestampSource::kKernelTimestamping: return "kernel (SO_TIMESTAMPING)";
    case RxTimestampSource::kKernelTimestampNs: return "kernel (SO_TIMESTAMPNS)";
    case RxTimestampSource::kUserSpace: return "user space";
    case RxTimestampSource::kSimulated: return "simulated";
  }
  return "unknown";
}

}  // namespace net
