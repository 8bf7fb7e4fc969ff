"""The likeness check after the model: YuNet finds the face, SFace embeds it, on onnxruntime."""
