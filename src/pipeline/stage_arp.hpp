// ARP on the worker: answer requests for our addresses on the interface that owns them (RFC 826),
// and pass what we can learn to the control thread, which owns the neighbour table.
#pragma once

#include <rte_arp.h>

#include "stage_common.hpp"
#include "stage_punt.hpp"

namespace dprouter::stage {

inline void arp_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, uint16_t rx_port) {
    if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(rte_arp_hdr)) {
        drop(ctx, m, Drop::arp_malformed);
        return;
    }
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
        arp->arp_plen != 4 || (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
        rte_is_multicast_ether_addr(&arp->arp_data.arp_sha)) {
        drop(ctx, m, Drop::arp_malformed);
        return;
    }
    const uint32_t target = arp->arp_data.arp_tip;
    const uint32_t sender = arp->arp_data.arp_sip;
    const bool for_us = t.owns_on(rx_port, target);
    // RFC 826's merge step comes before "am I the target?": a neighbour we know that announces a
    // new MAC (gratuitous ARP, or a request to someone else) updates our entry; only ARP addressed
    // to us may create one.
    if (sender != 0 && t.on_link(rx_port, sender)) {
        LearnMessage msg{sender, rx_port, static_cast<uint8_t>(op == RTE_ARP_OP_REPLY),
                         static_cast<uint8_t>(!for_us), arp->arp_data.arp_sha, 0};
        // The packet itself goes on: a lost report is no drop of it.
        if (rte_ring_sp_enqueue_elem(ctx.learn_ring, &msg, sizeof msg) != 0) ctx.counters->event(Event::learn_messages_lost);
    }
    if (!for_us) {
        drop(ctx, m, Drop::arp_not_for_us);
        return;
    }
    if (op == RTE_ARP_OP_REPLY) {
        // Consumed: the control thread learns from the message; with the mirror the kernel learns
        // from the reply itself (answers to its own requests).
        if (punts(t, rx_port)) {
            punt(ctx, m, rx_port);
        } else {
            ctx.counters->event(Event::local_delivered);
            rte_pktmbuf_free(m);
        }
        return;
    }
    // The kernel learns the requester from a copy; its own answer is dropped on the way out.
    if (punts(t, rx_port)) punt_copy(ctx, m, rx_port);
    const rte_ether_addr& ours = t.ifaces[rx_port].mac;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_tip = sender;
    arp->arp_data.arp_sha = ours;
    arp->arp_data.arp_sip = target;
    eth->dst_addr = arp->arp_data.arp_tha;
    eth->src_addr = ours;
    ctx.counters->event(Event::arp_requests_answered);
    ctx.counters->event(Event::local_delivered);
    emit_own(ctx, rx_port, m);  // the request's outcome is counted; the reply is ours
}

}  // namespace dprouter::stage
