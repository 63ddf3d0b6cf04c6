#include <linux/types.h>
struct qlen_hist { __u32 slots[32]; };
