/* the kernel-style integer names the tool's shared types header gives user space */
#include <linux/types.h>
typedef __u32 u32;
typedef __u64 u64;
