def transform(r, a):
  a["log.x"] = "y"
  return 1/0
