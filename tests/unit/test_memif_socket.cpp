// A memif server socket left by a killed router is removed before the port is probed again; a live
// one is not (include/dprouter/memif_socket.hpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dprouter/memif_socket.hpp"

namespace dprouter {
namespace {

class MemifSocket : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dpr-memif-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/m0.sock";
    }
    void TearDown() override {
        if (fd_ >= 0) close(fd_);
        std::filesystem::remove_all(dir_);
    }
    // Binds a SOCK_SEQPACKET socket on path_ (and listens if asked), as the memif PMD does.
    void bind_socket(bool listening) {
        fd_ = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ASSERT_GE(fd_, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strcpy(a.sun_path, path_.c_str());
        ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
        if (listening) {
            ASSERT_EQ(listen(fd_, 1), 0);
        }
    }
    std::string devargs() const { return "net_memif0,role=server,id=0,socket=" + path_ + ",socket-abstract=no"; }
    std::string dir_, path_;
    int fd_ = -1;
};

TEST_F(MemifSocket, FileNamedOnlyForServerPortsWithAFileSocket) {
    EXPECT_EQ(memif_server_socket_file(devargs()), path_);
    EXPECT_EQ(memif_server_socket_file("net_memif1,socket-abstract=no"), "/run/memif.sock");  // 22.11's defaults
    EXPECT_EQ(memif_server_socket_file("net_memif0,role=client,socket=/run/x.sock,socket-abstract=no"), "");
    EXPECT_EQ(memif_server_socket_file("net_memif0,role=server,socket=/run/x.sock"), "");  // abstract by default
    EXPECT_EQ(memif_server_socket_file("net_af_packet0,iface=eth0,socket=/run/x.sock,socket-abstract=no"), "");
}

TEST_F(MemifSocket, StaleFileOfAKilledRouterIsRemoved) {
    bind_socket(false);  // bound, nobody accepts: what a killed process leaves is a file nobody listens on
    close(fd_);
    fd_ = -1;
    ASSERT_TRUE(std::filesystem::exists(path_));
    EXPECT_EQ(reclaim_stale_memif_socket(devargs()), MemifSocketState::removed);
    EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(MemifSocket, LiveSocketIsLeftAlone) {
    bind_socket(true);
    EXPECT_EQ(reclaim_stale_memif_socket(devargs()), MemifSocketState::in_use);
    EXPECT_TRUE(std::filesystem::exists(path_));
}

TEST_F(MemifSocket, AbsentFileAndOtherFilesAreNotTouched) {
    EXPECT_EQ(reclaim_stale_memif_socket(devargs()), MemifSocketState::absent);
    { FILE* f = std::fopen(path_.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
    EXPECT_EQ(reclaim_stale_memif_socket(devargs()), MemifSocketState::not_removed);
    EXPECT_TRUE(std::filesystem::exists(path_));
    EXPECT_EQ(reclaim_stale_memif_socket("net_memif0,role=client,socket=" + path_ + ",socket-abstract=no"),
              MemifSocketState::not_applicable);
}

}  // namespace
}  // namespace dprouter
