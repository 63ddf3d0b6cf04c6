// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_btf_dumper_net.bpf.c - the networking half of a live kernel object
 * inspector in the style of pwru's --output-skb and drgn's net helpers
 * (own code). Pattern: socket iterators print every kernel structure
 * reachable from a socket - its protocol and ops tables, the cached route
 * and its device, the device's ops, queues and qdisc, and the network
 * namespace with all its per-protocol sub-structures - with
 * bpf_seq_printf_btf and CO-RE kernel type ids; a bitmap in .bss picks
 * what to print.
 * Covers: a very large .BTF (struct net and all its netns_* members,
 * net_device and its ops tables, proto, Qdisc ...), many
 * BPF_CORE_TYPE_ID_TARGET and field relocations, iter/tcp, iter/udp,
 * iter/unix (bpf_skc_to_tcp_sock for the tcp one), a kprobe on tcp_v4_destroy_sock using bpf_snprintf_btf, a
 * static noinline dump routine shared by the iterators, the bpf_rdonly_cast
 * kfunc to view a socket as tcp_sock / inet_sock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

/* what newer libbpf calls bpf_core_cast(): an untrusted, read-only view of
 * a kernel pointer as another kernel type */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define RT_CAST(type, ptr) ((type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

enum net_dump_obj {
	NOBJ_SOCK,
	NOBJ_PROTO,
	NOBJ_SOCKET,
	NOBJ_PROTO_OPS,
	NOBJ_SOCKET_FILE,
	NOBJ_SOCKET_WQ,
	NOBJ_RCVQ,
	NOBJ_DST,
	NOBJ_DST_OPS,
	NOBJ_REUSEPORT,
	NOBJ_SK_FILTER,
	NOBJ_SK_FILTER_PROG,
	NOBJ_PEER_CRED,
	NOBJ_PEER_PID,
	NOBJ_MEMCG,
	NOBJ_NET,
	NOBJ_NETNS_CORE,
	NOBJ_NETNS_MIB,
	NOBJ_NETNS_UNIX,
	NOBJ_NETNS_NEXTHOP,
	NOBJ_NETNS_IPV4,
	NOBJ_NETNS_IPV6,
	NOBJ_NETNS_NF,
	NOBJ_NETNS_CT,
	NOBJ_NETNS_XFRM,
	NOBJ_NETNS_BPF,
	NOBJ_NETNS_XDP,
	NOBJ_NET_GEN,
	NOBJ_NET_USER_NS,
	NOBJ_NET_UCOUNTS,
	NOBJ_NET_PROC,
	NOBJ_NET_RTNL,
	NOBJ_NET_LOOPBACK,
	NOBJ_DEVCONF4,
	NOBJ_DEVCONF6,
	NOBJ_DEATH_ROW,
	NOBJ_FQDIR4,
	NOBJ_FASTOPEN,
	NOBJ_TCP_CONG,
	NOBJ_FIB_RULES4,
	NOBJ_FIB6_MAIN,
	NOBJ_FIB6_NULL,
	NOBJ_RT6_NULL,
	NOBJ_NF_HOOKS,
	NOBJ_CT_STAT,
	NOBJ_BPF_PROGS,
	NOBJ_DEV,
	NOBJ_DEV_OPS,
	NOBJ_DEV_ETHTOOL,
	NOBJ_DEV_HEADER,
	NOBJ_DEV_RTNL,
	NOBJ_DEV_DCB,
	NOBJ_DEV_XDP_META,
	NOBJ_DEV_STAT_OPS,
	NOBJ_DEV_QMGMT,
	NOBJ_DEV_IN,
	NOBJ_DEV_IFA,
	NOBJ_DEV_IN6,
	NOBJ_DEV_PHY,
	NOBJ_DEV_QDISC,
	NOBJ_QDISC_OPS,
	NOBJ_QDISC_CL_OPS,
	NOBJ_QDISC_EST,
	NOBJ_DEV_TX,
	NOBJ_DEV_RX,
	NOBJ_DEV_UC,
	NOBJ_DEV_XPS,
	NOBJ_DEV_UDP_TUNNEL,
	NOBJ_DEV_NEIGH,
	NOBJ_DEV_TCF,
	NOBJ_HASHINFO,
	NOBJ_TWSK_PROT,
	NOBJ_RSK_PROT,
	NOBJ_SK_PSOCK,
	NOBJ_NF_EGRESS,
	NOBJ_XDP_PROG,
	NOBJ_XDP_PROG_AUX,
	NOBJ_NAME_NODE,
	NOBJ_IFALIAS,
	NOBJ_CORE_STATS,
	NOBJ_L3MDEV,
	NOBJ_NDISC,
	NOBJ_QUEUES_KSET,
	NOBJ_RX_RMAP,
	NOBJ_XDP_BULKQ,
	NOBJ_PRIOMAP,
	NOBJ_LINK_TOPO,
	NOBJ_NETDEV_CFG,
	NOBJ_ETHTOOL_STATE,
	NOBJ_HW_STATS,
	NOBJ_DEVLINK_PORT,
	NOBJ_IRQ_MODER,
	NOBJ_NAPI_CFG,
	NOBJ_HWPROV,
	NOBJ_UDP_TABLE,
	NOBJ_SYSCTL_HDR,
	NOBJ_RA_CHAIN,
	NOBJ_FIB_MAIN,
	NOBJ_PEERS,
	NOBJ_NEIGH_TBL,
	NOBJ_MC_LIST,
	NOBJ_IN6_MC,
	NOBJ_IN6_NDISC,
	NOBJ_IN6_STATS,
	NOBJ_PROTO_SLAB,
	NOBJ_SOCK_DIAG,
	NOBJ_GENL,
	NOBJ_XFRM_NLSK,
	NOBJ_XFRM_STATE_HASH,
	NOBJ_NEXTHOP_NOTIF,
	NOBJ_TX_QDISC_STAB,
	NOBJ_TX_QDISC_CPU,
	NOBJ_DST_XFRM,
	NOBJ_DST_LWT,
	NOBJ_SK_BPF_STORAGE,
	NOBJ_SK_ULP,
	NOBJ_SK_CA,
	NOBJ_SK_AF_OPS,
	NOBJ_SK_ACCEPT_Q,
	NOBJ_TCP_MD5,
	NOBJ_TCP_FASTOPEN_RSK,
	NOBJ_TCP_OPS,
	NOBJ_INET_OPT,
	NOBJ_INET_MC,
	NOBJ_INET_CORK,
	NOBJ_IPV6_PINFO,
	NOBJ_NR
};

const volatile __u32 only_netns = 0;
const volatile __u64 print_flags = BTF_F_COMPACT;

__u64 net_wanted[(NOBJ_NR + 63) / 64];
__u64 net_printed, net_failed;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[8192]);
} snap_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} snaps SEC(".maps");

static __always_inline bool net_want(__u32 obj)
{
	return net_wanted[(obj / 64) & 3] & (1ULL << (obj % 64));
}

#define DUMP(obj, expr, type)						\
	do {								\
		if (net_want(obj)) {					\
			struct btf_ptr __p = {				\
				.ptr = (void *)(expr),			\
				.type_id = bpf_core_type_id_kernel(type),\
			};						\
			if (bpf_seq_printf_btf(seq, &__p, sizeof(__p), print_flags)) \
				net_failed++;				\
			else						\
				net_printed++;				\
		}							\
	} while (0)

static __noinline int dump_sock(struct seq_file *seq, struct sock *sk)
{
	struct net *net;
	struct net_device *dev;

	if (!sk || !seq)
		return 0;
	net = sk->__sk_common.skc_net.net;
	if (only_netns && net->ns.inum != only_netns)
		return 0;
	dev = sk->sk_dst_cache ? sk->sk_dst_cache->dev : net->loopback_dev;
	DUMP(NOBJ_SOCK, sk, struct sock);
	DUMP(NOBJ_PROTO, sk->__sk_common.skc_prot, struct proto);
	DUMP(NOBJ_SOCKET, sk->sk_socket, struct socket);
	DUMP(NOBJ_PROTO_OPS, sk->sk_socket->ops, struct proto_ops);
	DUMP(NOBJ_SOCKET_FILE, sk->sk_socket->file, struct file);
	DUMP(NOBJ_SOCKET_WQ, &sk->sk_socket->wq, struct socket_wq);
	DUMP(NOBJ_RCVQ, &sk->sk_receive_queue, struct sk_buff_head);
	DUMP(NOBJ_DST, sk->sk_dst_cache, struct dst_entry);
	DUMP(NOBJ_DST_OPS, sk->sk_dst_cache->ops, struct dst_ops);
	DUMP(NOBJ_REUSEPORT, sk->sk_reuseport_cb, struct sock_reuseport);
	DUMP(NOBJ_SK_FILTER, sk->sk_filter, struct sk_filter);
	DUMP(NOBJ_SK_FILTER_PROG, sk->sk_filter->prog, struct bpf_prog);
	DUMP(NOBJ_PEER_CRED, sk->sk_peer_cred, struct cred);
	DUMP(NOBJ_PEER_PID, sk->sk_peer_pid, struct pid);
	DUMP(NOBJ_MEMCG, sk->sk_memcg, struct mem_cgroup);
	DUMP(NOBJ_NET, net, struct net);
	DUMP(NOBJ_NETNS_CORE, &net->core, struct netns_core);
	DUMP(NOBJ_NETNS_MIB, &net->mib, struct netns_mib);
	DUMP(NOBJ_NETNS_UNIX, &net->unx, struct netns_unix);
	DUMP(NOBJ_NETNS_NEXTHOP, &net->nexthop, struct netns_nexthop);
	DUMP(NOBJ_NETNS_IPV4, &net->ipv4, struct netns_ipv4);
	DUMP(NOBJ_NETNS_IPV6, &net->ipv6, struct netns_ipv6);
	DUMP(NOBJ_NETNS_NF, &net->nf, struct netns_nf);
	DUMP(NOBJ_NETNS_CT, &net->ct, struct netns_ct);
	DUMP(NOBJ_NETNS_XFRM, &net->xfrm, struct netns_xfrm);
	DUMP(NOBJ_NETNS_BPF, &net->bpf, struct netns_bpf);
	DUMP(NOBJ_NETNS_XDP, &net->xdp, struct netns_xdp);
	DUMP(NOBJ_NET_GEN, net->gen, struct net_generic);
	DUMP(NOBJ_NET_USER_NS, net->user_ns, struct user_namespace);
	DUMP(NOBJ_NET_UCOUNTS, net->ucounts, struct ucounts);
	DUMP(NOBJ_NET_PROC, net->proc_net, struct proc_dir_entry);
	DUMP(NOBJ_NET_RTNL, net->rtnl, struct sock);
	DUMP(NOBJ_NET_LOOPBACK, net->loopback_dev, struct net_device);
	DUMP(NOBJ_DEVCONF4, net->ipv4.devconf_all, struct ipv4_devconf);
	DUMP(NOBJ_DEVCONF6, net->ipv6.devconf_all, struct ipv6_devconf);
	DUMP(NOBJ_DEATH_ROW, &net->ipv4.tcp_death_row, struct inet_timewait_death_row);
	DUMP(NOBJ_FQDIR4, net->ipv4.fqdir, struct fqdir);
	DUMP(NOBJ_FASTOPEN, net->ipv4.tcp_fastopen_ctx, struct tcp_fastopen_context);
	DUMP(NOBJ_TCP_CONG, net->ipv4.tcp_congestion_control, struct tcp_congestion_ops);
	DUMP(NOBJ_FIB_RULES4, net->ipv4.rules_ops, struct fib_rules_ops);
	DUMP(NOBJ_FIB6_MAIN, net->ipv6.fib6_main_tbl, struct fib6_table);
	DUMP(NOBJ_FIB6_NULL, net->ipv6.fib6_null_entry, struct fib6_info);
	DUMP(NOBJ_RT6_NULL, net->ipv6.ip6_null_entry, struct rt6_info);
	DUMP(NOBJ_NF_HOOKS, net->nf.hooks_ipv4[0], struct nf_hook_entries);
	DUMP(NOBJ_CT_STAT, net->ct.stat, struct ip_conntrack_stat);
	DUMP(NOBJ_BPF_PROGS, net->bpf.run_array[0], struct bpf_prog_array);
	DUMP(NOBJ_DEV, dev, struct net_device);
	DUMP(NOBJ_DEV_OPS, dev->netdev_ops, struct net_device_ops);
	DUMP(NOBJ_DEV_ETHTOOL, dev->ethtool_ops, struct ethtool_ops);
	DUMP(NOBJ_DEV_HEADER, dev->header_ops, struct header_ops);
	DUMP(NOBJ_DEV_RTNL, dev->rtnl_link_ops, struct rtnl_link_ops);
	DUMP(NOBJ_DEV_DCB, dev->dcbnl_ops, struct dcbnl_rtnl_ops);
	DUMP(NOBJ_DEV_XDP_META, dev->xdp_metadata_ops, struct xdp_metadata_ops);
	DUMP(NOBJ_DEV_STAT_OPS, dev->stat_ops, struct netdev_stat_ops);
	DUMP(NOBJ_DEV_QMGMT, dev->queue_mgmt_ops, struct netdev_queue_mgmt_ops);
	DUMP(NOBJ_DEV_IN, dev->ip_ptr, struct in_device);
	DUMP(NOBJ_DEV_IFA, dev->ip_ptr->ifa_list, struct in_ifaddr);
	DUMP(NOBJ_DEV_IN6, dev->ip6_ptr, struct inet6_dev);
	DUMP(NOBJ_DEV_PHY, dev->phydev, struct phy_device);
	DUMP(NOBJ_DEV_QDISC, dev->qdisc, struct Qdisc);
	DUMP(NOBJ_QDISC_OPS, dev->qdisc->ops, struct Qdisc_ops);
	DUMP(NOBJ_QDISC_CL_OPS, dev->qdisc->ops->cl_ops, struct Qdisc_class_ops);
	DUMP(NOBJ_QDISC_EST, dev->qdisc->rate_est, struct net_rate_estimator);
	DUMP(NOBJ_DEV_TX, dev->_tx, struct netdev_queue);
	DUMP(NOBJ_DEV_RX, dev->_rx, struct netdev_rx_queue);
	DUMP(NOBJ_DEV_UC, &dev->uc, struct netdev_hw_addr_list);
	DUMP(NOBJ_DEV_XPS, dev->xps_maps[0], struct xps_dev_maps);
	DUMP(NOBJ_DEV_UDP_TUNNEL, dev->udp_tunnel_nic, struct udp_tunnel_nic);
	DUMP(NOBJ_DEV_NEIGH, sk->sk_dst_cache->dev->ip_ptr->arp_parms, struct neigh_parms);
	DUMP(NOBJ_DEV_TCF, dev->tcx_ingress, struct bpf_mprog_entry);
	DUMP(NOBJ_HASHINFO, sk->__sk_common.skc_prot->h.hashinfo, struct inet_hashinfo);
	DUMP(NOBJ_TWSK_PROT, sk->__sk_common.skc_prot->twsk_prot, struct timewait_sock_ops);
	DUMP(NOBJ_RSK_PROT, sk->__sk_common.skc_prot->rsk_prot, struct request_sock_ops);
	DUMP(NOBJ_SK_PSOCK, sk->sk_user_data, struct sk_psock);
	DUMP(NOBJ_NF_EGRESS, dev->nf_hooks_egress, struct nf_hook_entries);
	DUMP(NOBJ_XDP_PROG, dev->xdp_prog, struct bpf_prog);
	DUMP(NOBJ_XDP_PROG_AUX, dev->xdp_prog->aux, struct bpf_prog_aux);
	DUMP(NOBJ_NAME_NODE, dev->name_node, struct netdev_name_node);
	DUMP(NOBJ_IFALIAS, dev->ifalias, struct dev_ifalias);
	DUMP(NOBJ_CORE_STATS, dev->core_stats, struct net_device_core_stats);
	DUMP(NOBJ_L3MDEV, dev->l3mdev_ops, struct l3mdev_ops);
	DUMP(NOBJ_NDISC, dev->ndisc_ops, struct ndisc_ops);
	DUMP(NOBJ_QUEUES_KSET, dev->queues_kset, struct kset);
	DUMP(NOBJ_RX_RMAP, dev->rx_cpu_rmap, struct cpu_rmap);
	DUMP(NOBJ_XDP_BULKQ, dev->xdp_bulkq, struct xdp_dev_bulk_queue);
	DUMP(NOBJ_PRIOMAP, dev->priomap, struct netprio_map);
	DUMP(NOBJ_LINK_TOPO, dev->link_topo, struct phy_link_topology);
	DUMP(NOBJ_NETDEV_CFG, dev->cfg, struct netdev_config);
	DUMP(NOBJ_ETHTOOL_STATE, dev->ethtool, struct ethtool_netdev_state);
	DUMP(NOBJ_HW_STATS, dev->offload_xstats_l3, struct rtnl_hw_stats64);
	DUMP(NOBJ_DEVLINK_PORT, dev->devlink_port, struct devlink_port);
	DUMP(NOBJ_IRQ_MODER, dev->irq_moder, struct dim_irq_moder);
	DUMP(NOBJ_NAPI_CFG, dev->napi_config, struct napi_config);
	DUMP(NOBJ_HWPROV, dev->hwprov, struct hwtstamp_provider);
	DUMP(NOBJ_UDP_TABLE, net->ipv4.udp_table, struct udp_table);
	DUMP(NOBJ_SYSCTL_HDR, net->ipv4.ipv4_hdr, struct ctl_table_header);
	DUMP(NOBJ_RA_CHAIN, net->ipv4.ra_chain, struct ip_ra_chain);
	DUMP(NOBJ_FIB_MAIN, net->ipv4.fib_main, struct fib_table);
	DUMP(NOBJ_PEERS, net->ipv4.peers, struct inet_peer_base);
	DUMP(NOBJ_NEIGH_TBL, dev->ip_ptr->arp_parms->tbl, struct neigh_table);
	DUMP(NOBJ_MC_LIST, dev->ip_ptr->mc_list, struct ip_mc_list);
	DUMP(NOBJ_IN6_MC, dev->ip6_ptr->mc_list, struct ifmcaddr6);
	DUMP(NOBJ_IN6_NDISC, dev->ip6_ptr->nd_parms, struct neigh_parms);
	DUMP(NOBJ_IN6_STATS, dev->ip6_ptr->stats.ipv6, struct ipstats_mib);
	DUMP(NOBJ_PROTO_SLAB, sk->__sk_common.skc_prot->slab, struct kmem_cache);
	DUMP(NOBJ_SOCK_DIAG, net->diag_nlsk, struct sock);
	DUMP(NOBJ_GENL, net->genl_sock, struct sock);
	DUMP(NOBJ_XFRM_NLSK, net->xfrm.nlsk, struct sock);
	DUMP(NOBJ_XFRM_STATE_HASH, net->xfrm.state_bydst, struct hlist_head);
	DUMP(NOBJ_NEXTHOP_NOTIF, net->nexthop.notifier_chain.head, struct notifier_block);
	DUMP(NOBJ_TX_QDISC_STAB, dev->qdisc->stab, struct qdisc_size_table);
	DUMP(NOBJ_TX_QDISC_CPU, dev->qdisc->cpu_bstats, struct gnet_stats_basic_sync);
	DUMP(NOBJ_DST_XFRM, sk->sk_dst_cache->xfrm, struct xfrm_state);
	DUMP(NOBJ_DST_LWT, sk->sk_dst_cache->lwtstate, struct lwtunnel_state);
	DUMP(NOBJ_SK_BPF_STORAGE, sk->sk_bpf_storage, struct bpf_local_storage);
	DUMP(NOBJ_SK_ULP, RT_CAST(struct inet_connection_sock, sk)->icsk_ulp_ops, struct tcp_ulp_ops);
	DUMP(NOBJ_SK_CA, RT_CAST(struct inet_connection_sock, sk)->icsk_ca_ops, struct tcp_congestion_ops);
	DUMP(NOBJ_SK_AF_OPS, RT_CAST(struct inet_connection_sock, sk)->icsk_af_ops, struct inet_connection_sock_af_ops);
	DUMP(NOBJ_SK_ACCEPT_Q, &RT_CAST(struct inet_connection_sock, sk)->icsk_accept_queue, struct request_sock_queue);
	DUMP(NOBJ_TCP_MD5, RT_CAST(struct tcp_sock, sk)->md5sig_info, struct tcp_md5sig_info);
	DUMP(NOBJ_TCP_FASTOPEN_RSK, RT_CAST(struct tcp_sock, sk)->fastopen_rsk, struct request_sock);
	DUMP(NOBJ_TCP_OPS, RT_CAST(struct tcp_sock, sk)->af_specific, struct tcp_sock_af_ops);
	DUMP(NOBJ_INET_OPT, RT_CAST(struct inet_sock, sk)->inet_opt, struct ip_options_rcu);
	DUMP(NOBJ_INET_MC, RT_CAST(struct inet_sock, sk)->mc_list, struct ip_mc_socklist);
	DUMP(NOBJ_INET_CORK, &RT_CAST(struct inet_sock, sk)->cork, struct inet_cork_full);
	DUMP(NOBJ_IPV6_PINFO, RT_CAST(struct inet_sock, sk)->pinet6, struct ipv6_pinfo);
	return 0;
}

SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	return tp ? dump_sock(ctx->meta->seq, (struct sock *)tp) : 0;
}

SEC("iter/udp")
int dump_udp(struct bpf_iter__udp *ctx)
{
	return dump_sock(ctx->meta->seq, (struct sock *)ctx->udp_sk);
}

SEC("iter/unix")
int dump_unix(struct bpf_iter__unix *ctx)
{
	return dump_sock(ctx->meta->seq, (struct sock *)ctx->unix_sk);
}

SEC("kprobe/tcp_v4_destroy_sock")
int BPF_KPROBE(snap_destroyed, struct sock *sk)
{
	struct btf_ptr p = { .ptr = sk, .type_id = bpf_core_type_id_kernel(struct tcp_sock) };
	__u32 zero = 0;
	char *buf;
	long n;

	buf = bpf_map_lookup_elem(&snap_buf, &zero);
	if (!buf)
		return 0;
	n = bpf_snprintf_btf(buf, 8192, &p, sizeof(p), print_flags);
	if (n > 0)
		bpf_ringbuf_output(&snaps, buf, 8192, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
