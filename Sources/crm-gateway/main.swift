import Gateway
print("crm-gateway")
