test_sandbox_OBJS = ep2d/sandbox.o ep2d/connector.o common/log.o
