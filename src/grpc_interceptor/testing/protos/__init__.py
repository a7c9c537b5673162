"""The testing kit's protobuf definitions: ``dummy.proto`` and the code generated from it."""
