/* what the tool's own header would give user space before the skeleton */
#include <linux/types.h>
struct lb4_backend { __be32 address; __be16 port; __u8 flags; __u8 cluster_id; __u8 mac[6]; __u16 ifindex; };
