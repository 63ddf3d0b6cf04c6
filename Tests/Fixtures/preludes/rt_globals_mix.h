#include <linux/types.h>
typedef struct { __u16 port_lo, port_hi; __u32 family, action; __u64 hits; } rule_t;
typedef struct { union { __u32 v4; __u8 v6[16]; } addr; __u8 prefix, family; __u16 flags; } cidr_t;
