// dprouterctl: the router's command-line client over its control socket (docs/control-plane.md
// "dprouterctl"). One request per run: connect, send one JSON line, read one JSON line, print.
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

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

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

int unreachable(const std::string& socket, const std::string& why) {
    std::cerr << "dprouterctl: cannot talk to the router on " << printable(socket) << ": " << why << '\n';
    return kExitUnreachable;
}

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
    std::string answer;
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
    const nlohmann::json& result = reply.contains("result") ? reply["result"] : nlohmann::json::object();
    if (p.json_output)
        std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    else
        std::cout << dprouter::ctl::format_result(p.request["op"].get<std::string>(), result);
    return kExitOk;
}
