// A control connection that turned into a stream of bytes (docs/control-plane.md "Protocol",
// "Streams"): after its one answer line the server sends what the stream produces, raw, until the
// stream says it is done; then it closes the connection. The client ends a stream early by
// shutting down its sending side (the server sees end of file), or by going away.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace dprouter {

class ControlStream {
public:
    virtual ~ControlStream() = default;  // the client is gone or the stream is over: release all
    // Appends at most `room` bytes to `out`. Returns false once the stream is over and every byte
    // of it has been handed out (the server then closes the connection after writing them).
    virtual bool pump(std::string& out, std::size_t room, uint64_t now_ms) = 0;
    // The client shut down its side: finish (a trailer, then pump returns false).
    virtual void finish() = 0;
};

// A request's answer line (without '\n'), and for a streaming request the stream that follows it.
struct ControlAnswer {
    std::string line;
    std::unique_ptr<ControlStream> stream;
};

}  // namespace dprouter
