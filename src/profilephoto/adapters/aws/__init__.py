"""AWS adapters: S3, SQS, DynamoDB and the API Gateway WebSocket management API."""

from profilephoto.adapters.aws.dynamodb import DynamoDbUnitOfWork
from profilephoto.adapters.aws.dynamodb_items import TableNames
from profilephoto.adapters.aws.s3 import S3ObjectStore
from profilephoto.adapters.aws.sqs import SqsJobQueue
from profilephoto.adapters.aws.tables import create_tables
from profilephoto.adapters.aws.websocket import ApiGatewayNotifier

__all__ = [
    "ApiGatewayNotifier",
    "DynamoDbUnitOfWork",
    "S3ObjectStore",
    "SqsJobQueue",
    "TableNames",
    "create_tables",
]
