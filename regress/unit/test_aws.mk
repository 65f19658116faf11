test_aws_OBJS = ep2d/aws.o ep2d/aws_xml.o ep2d/aws_creds.o ep2d/set.o common/addr.o common/log.o common/file.o
