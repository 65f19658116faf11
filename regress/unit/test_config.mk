test_config_OBJS = ep2d/config.o common/addr.o common/log.o common/file.o
