test_logflood_OBJS = common/log.o common/file.o
