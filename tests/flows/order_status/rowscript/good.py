def transform(row, attributes):
    row["seen"] = True
    return row
