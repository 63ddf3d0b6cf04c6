#include <linux/types.h>
struct limits { __u32 max_events_per_sec; __u32 burst; };
