// dprouterctl: the router's command-line client over its control socket (docs/control-plane.md
// "dprouterctl"). One request per run: connect, send one JSON line, read one JSON line, print; for
// capture, the pcapng stream that follows the answer goes to -w FILE.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl_commands.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr int kTimeoutSeconds = 60;  // a big `show routes` takes the router a while to write
constexpr std::size_t kMaxAnswer = 256u << 20;

using dprouter::ctl::printable;

int unreachable(const std::string& socket, const std::string& why) {
    std::cerr << "dprouterctl: cannot talk to the router on " << printable(socket) << ": " << why << '\n';
    return kExitUnreachable;
}

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

bool write_all(int fd, const char* data, std::size_t n) {
    while (n != 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// The rest of a streaming answer (capture): the router's pcapng bytes, written to -w FILE as they
// come, until the router closes the connection. Ctrl-C (or SIGTERM) shuts down our sending side;
// the router then ends the capture with its statistics block and closes.
int receive_capture(int sock, const std::string& socket_path, const std::string& output, const std::string& first) {
    int out = 1;
    if (output != "-") {
        out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
            std::cerr << "dprouterctl: cannot write " << printable(output) << ": " << std::strerror(errno) << '\n';
            return kExitRefused;
        }
    }
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;  // no SA_RESTART: recv returns EINTR
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    const timeval none{0, 0};  // a quiet port sends nothing for as long as it likes
    ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    dprouter::ctl::PcapngTally tally;
    bool ok = write_all(out, first.data(), first.size());
    tally.feed(first.data(), first.size());
    bool asked_to_stop = false;
    char buf[65536];
    while (ok) {
        if (g_interrupted && !asked_to_stop) {
            ::shutdown(sock, SHUT_WR);
            asked_to_stop = true;
        }
        const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::cerr << "dprouterctl: capture: " << std::strerror(errno) << '\n';
            break;
        }
        if (n == 0) break;
        ok = write_all(out, buf, static_cast<std::size_t>(n));
        tally.feed(buf, static_cast<std::size_t>(n));
    }
    if (out != 1 && ::close(out) != 0) ok = false;
    if (!ok) {
        std::cerr << "dprouterctl: cannot write " << printable(output) << ": " << std::strerror(errno) << '\n';
        return kExitRefused;
    }
    std::cerr << tally.packets() << " packets captured, " << tally.dropped() << " dropped\n";
    if (!tally.complete())
        return unreachable(socket_path, "the capture ended before its statistics block (router stopped?)");
    return kExitOk;
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const dprouter::ctl::Parsed p = dprouter::ctl::parse_command_line(args);
    if (p.help) {
        std::cout << dprouter::ctl::usage();
        return kExitOk;
    }
    if (!p.error.empty()) {
        std::cerr << "dprouterctl: " << p.error << "\n" << dprouter::ctl::usage();
        return kExitUsage;
    }

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (p.socket.size() >= sizeof addr.sun_path) {
        std::cerr << "dprouterctl: socket path longer than " << sizeof addr.sun_path - 1 << " bytes\n";
        return kExitUsage;
    }
    std::memcpy(addr.sun_path, p.socket.data(), p.socket.size());
    Fd s;
    s.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.fd < 0) return unreachable(p.socket, std::strerror(errno));
    const timeval tv{kTimeoutSeconds, 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        std::string why = std::strerror(e);
        if (e == ENOENT || e == ECONNREFUSED) why += " (is dprouter running, with control_plane.socket there?)";
        if (e == EACCES) why += " (the socket is root's only)";
        return unreachable(p.socket, why);
    }

    const std::string line = p.request.dump() + '\n';
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t n = ::send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return unreachable(p.socket, std::strerror(errno));
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string answer, rest;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return unreachable(p.socket, errno == EAGAIN ? "no answer within " + std::to_string(kTimeoutSeconds) + " s"
                                                         : std::string(std::strerror(errno)));
        }
        if (n == 0) return unreachable(p.socket, "the router closed the connection without answering");
        answer.append(buf, static_cast<std::size_t>(n));
        if (const auto nl = answer.find('\n'); nl != std::string::npos) {
            rest = answer.substr(nl + 1);  // a stream's first bytes
            answer.resize(nl);
            break;
        }
        if (answer.size() > kMaxAnswer) return unreachable(p.socket, "answer too large");
    }

    const nlohmann::json reply = nlohmann::json::parse(answer, nullptr, false);
    if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok"))
        return unreachable(p.socket, "the answer is not the control protocol's");
    if (!reply.value("ok", false)) {
        const auto e = reply.find("error");
        std::cerr << "dprouterctl: " << printable(e != reply.end() && e->is_string() ? e->get<std::string>() : "refused")
                  << '\n';
        return kExitRefused;
    }
    if (reply.contains("stream")) {
        if (reply["stream"] != "pcapng" || p.output.empty())
            return unreachable(p.socket, "the router answered with a stream this client did not ask for");
        return receive_capture(s.fd, p.socket, p.output, rest);
    }
    const nlohmann::json& result = reply.contains("result") ? reply["result"] : nlohmann::json::object();
    if (p.json_output)
        std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    else
        std::cout << dprouter::ctl::format_result(p.request["op"].get<std::string>(), result);
    return kExitOk;
}
