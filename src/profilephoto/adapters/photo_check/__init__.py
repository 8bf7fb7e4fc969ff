"""The photo check before the model: MediaPipe BlazeFace run by LiteRT, measured in numpy."""
