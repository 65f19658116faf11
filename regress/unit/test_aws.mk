test_aws_OBJS = ep2d/aws.o ep2d/aws_hook.o ep2d/aws_lifecycle.o ep2d/aws_lifecycle_event.o ep2d/aws_xml.o ep2d/aws_creds.o ep2d/set.o common/imsg.o common/addr.o common/log.o common/file.o
