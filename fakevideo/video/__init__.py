"""Video side of FSGAN: decoding/encoding, face detection, tracking, crops, pose, heatmaps, masks, caching."""
