test_runtime_plan_OBJS = ep2d/runtime_plan.o ep2d/haproxy.o ep2d/set.o ep2d/config.o common/addr.o common/log.o common/file.o
