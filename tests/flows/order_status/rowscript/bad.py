def transform(row, attributes)
    return row
