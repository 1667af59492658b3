#include "control/pcapng_names.hpp"

#include <cstdint>
#include <cstring>

namespace dprouter {
namespace {

// pcapng (draft-ietf-opsawg-pcapng): block type and option codes used here.
constexpr uint32_t kInterfaceBlock = 1;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptIfName = 2;
constexpr std::size_t kIdbFixed = 8;  // LinkType, Reserved, SnapLen

uint32_t u32_at(const std::string& s, std::size_t off) {
    uint32_t v;
    std::memcpy(&v, s.data() + off, sizeof v);
    return v;
}
uint16_t u16_at(const std::string& s, std::size_t off) {
    uint16_t v;
    std::memcpy(&v, s.data() + off, sizeof v);
    return v;
}
void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put16(std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }

// One option: code, length, value padded to 32 bits.
void put_option(std::string& s, uint16_t code, const std::string& value) {
    put16(s, code);
    put16(s, static_cast<uint16_t>(value.size()));
    s += value;
    s.append((4 - value.size() % 4) % 4, '\0');
}

// The interface block at body [begin, end) (after type and length) with its if_name replaced;
// empty when its options do not parse.
std::string renamed_idb(const std::string& in, std::size_t begin, std::size_t end, const std::string& name) {
    std::string body = in.substr(begin, kIdbFixed);
    bool named = false;
    std::size_t off = begin + kIdbFixed;
    while (off + 4 <= end) {
        const uint16_t code = u16_at(in, off);
        const uint16_t len = u16_at(in, off + 2);
        const std::size_t padded = (len + 3u) & ~3u;
        if (code == kOptEnd) break;
        if (off + 4 + padded > end) return {};
        if (code == kOptIfName) {
            put_option(body, code, name);
            named = true;
        } else {
            body.append(in, off, 4 + padded);
        }
        off += 4 + padded;
    }
    if (!named) put_option(body, kOptIfName, name);
    put16(body, kOptEnd);
    put16(body, 0);
    std::string block;
    const auto total = static_cast<uint32_t>(8 + body.size() + 4);
    put32(block, kInterfaceBlock);
    put32(block, total);
    block += body;
    put32(block, total);
    return block;
}

}  // namespace

std::string rename_pcapng_interfaces(const std::string& header, const std::vector<std::string>& names) {
    std::string out;
    std::size_t off = 0;
    std::size_t index = 0;
    while (off < header.size()) {
        if (header.size() - off < 12) return header;
        const uint32_t type = u32_at(header, off);
        const uint32_t len = u32_at(header, off + 4);
        if (len < 12 || len % 4 != 0 || len > header.size() - off || u32_at(header, off + len - 4) != len) return header;
        if (type == kInterfaceBlock) {
            if (len < 12 + kIdbFixed) return header;
            const std::string name = index < names.size() ? names[index] : std::string();
            ++index;
            if (!name.empty() && name.size() <= UINT16_MAX) {
                std::string block = renamed_idb(header, off + 8, off + len - 4, name);
                if (block.empty()) return header;
                out += block;
                off += len;
                continue;
            }
        }
        out.append(header, off, len);
        off += len;
    }
    return out;
}

}  // namespace dprouter
