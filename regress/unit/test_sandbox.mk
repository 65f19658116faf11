test_sandbox_OBJS = ep2d/sandbox.o common/log.o
