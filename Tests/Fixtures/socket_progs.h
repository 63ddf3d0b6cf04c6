/* Stamps out many SEC("socket") programs for the program-count fixtures
 * (many32, toomany_progs, toomany_subprogs). Each fixture defines
 * SOCKET_PROG(n) and a hits[] array before including this. */
#ifndef LSKEL_SOCKET_PROGS_H
#define LSKEL_SOCKET_PROGS_H

#define SIMPLE_SOCKET_PROG(n)				\
SEC("socket")						\
int sock_prog_##n(struct __sk_buff *skb)		\
{							\
	hits[n]++;					\
	return skb->len > n ? skb->len : 0;		\
}

#define FOUR_PROGS(P, a, b, c, d) P(a) P(b) P(c) P(d)

/* Programs 0 to 27. */
#define TWENTY_EIGHT_PROGS(P)				\
	FOUR_PROGS(P, 0, 1, 2, 3)			\
	FOUR_PROGS(P, 4, 5, 6, 7)			\
	FOUR_PROGS(P, 8, 9, 10, 11)			\
	FOUR_PROGS(P, 12, 13, 14, 15)			\
	FOUR_PROGS(P, 16, 17, 18, 19)			\
	FOUR_PROGS(P, 20, 21, 22, 23)			\
	FOUR_PROGS(P, 24, 25, 26, 27)

#endif
