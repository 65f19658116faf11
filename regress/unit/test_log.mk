test_log_OBJS = common/log.o
