#include "dprouter/memif_socket.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dprouter/log.hpp"

namespace dprouter {
namespace {

// "key=value" pairs after the device name, split at commas (memif's devargs carry no quoted commas).
std::vector<std::pair<std::string_view, std::string_view>> devargs_pairs(std::string_view s) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    std::size_t at = s.find(',');
    while (at != std::string_view::npos) {
        const std::size_t next = s.find(',', at + 1);
        const std::string_view kv = s.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
        const std::size_t eq = kv.find('=');
        if (eq != std::string_view::npos) out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        at = next;
    }
    return out;
}

// What the memif PMD of DPDK 22.11 assumes when a key is missing (doc/guides/nics/memif.rst).
constexpr std::string_view kDefaultSocket = "/run/memif.sock";

}  // namespace

std::string memif_server_socket_file(const std::string& devargs) {
    if (!devargs.starts_with("net_memif")) return {};
    std::string_view role = "server", socket = kDefaultSocket, abstract = "yes";
    for (const auto& [k, v] : devargs_pairs(devargs)) {
        if (k == "role") role = v;
        else if (k == "socket") socket = v;
        else if (k == "socket-abstract") abstract = v;
    }
    if (role != "server" || abstract != "no") return {};
    return std::string(socket);
}

MemifSocketState reclaim_stale_memif_socket(const std::string& devargs) {
    const std::string path = memif_server_socket_file(devargs);
    if (path.empty()) return MemifSocketState::not_applicable;
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) return MemifSocketState::absent;
    if (!S_ISSOCK(st.st_mode)) {
        DPR_LOG(WARNING, "memif socket %s exists and is not a socket; leaving it\n", path.c_str());
        return MemifSocketState::not_removed;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) return MemifSocketState::not_removed;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return MemifSocketState::not_removed;
    const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    const int err = errno;
    close(fd);
    if (rc == 0) {
        DPR_LOG(WARNING, "memif socket %s is served by another process\n", path.c_str());
        return MemifSocketState::in_use;
    }
    if (err != ECONNREFUSED) return MemifSocketState::not_removed;
    if (unlink(path.c_str()) != 0) {
        DPR_LOG(WARNING, "memif socket %s: nobody listens, but it cannot be removed: %s\n", path.c_str(),
                std::strerror(errno));
        return MemifSocketState::not_removed;
    }
    DPR_LOG(NOTICE, "memif socket %s: removed the file a previous router left (nobody listened)\n", path.c_str());
    return MemifSocketState::removed;
}

}  // namespace dprouter
