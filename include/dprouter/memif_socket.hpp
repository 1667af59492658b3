// A net_memif server port's control socket left behind by a router that died (SIGKILL, crash).
//
// The memif PMD binds its socket file when the port is probed and unlinks it when the port is
// closed; a process that never closes its ports leaves the file, and the next start's bind fails
// with EADDRINUSE ("probe failed"): a router restarted by systemd after a crash would never come
// back. The file is removed only when nobody listens on it (connect() is refused); a socket some
// running process serves is left alone, and its probe fails as before.
#pragma once

#include <string>

namespace dprouter {

enum class MemifSocketState {
    not_applicable,  // not a memif server port with a socket file (abstract sockets vanish with their owner)
    absent,          // no file: nothing to do
    in_use,          // a process accepts connections on it
    removed,         // nobody listened: the stale file was unlinked
    not_removed,     // a stale file that could not be unlinked, or a file that is not a socket
};

// The socket file named by a memif server port's devargs ("net_memif0,role=server,socket=/run/x.sock,
// socket-abstract=no"), or "" when the devargs name none (client role, abstract socket, not memif).
std::string memif_server_socket_file(const std::string& devargs);

// Removes the stale socket file of `devargs` if it is one; logs what it did.
MemifSocketState reclaim_stale_memif_socket(const std::string& devargs);

}  // namespace dprouter
