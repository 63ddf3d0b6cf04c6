#include <linux/types.h>
typedef struct { __u32 mark, ifindex, netns, saddr, daddr; __u16 sport, dport; __u8 l4_proto, output_meta, output_tuple, output_skb, output_stack, output_ct; __u8 pad[2]; } filter_cfg_t;
