fuzz_imsg_OBJS = common/imsg.o
