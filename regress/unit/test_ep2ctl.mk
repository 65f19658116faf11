test_ep2ctl_OBJS = ep2ctl/parser.o ep2ctl/json.o ep2ctl/output.o ep2ctl/output_json.o common/addr.o
