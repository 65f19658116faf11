test_ipc_OBJS = ep2d/connector.o ep2d/runner.o ep2d/sandbox.o ep2d/proc.o ep2d/apply.o ep2d/template.o ep2d/config.o common/addr.o common/imsg.o common/log.o common/file.o
