test_addr_OBJS = common/addr.o
