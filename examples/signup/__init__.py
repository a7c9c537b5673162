"""The sign-up service of the validation example: protovalidate rules in signup.proto."""
