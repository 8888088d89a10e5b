/// Word lists for the Text Request seed (US names, message texts).
enum TRSeedData {
    static let firstNames = [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
        "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
        "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
        "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
        "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
        "Ronald", "Rebecca", "Jason", "Laura", "Edward", "Sharon", "Jeffrey", "Cynthia", "Ryan", "Kathleen",
        "Jacob", "Amy", "Gary", "Angela", "Nicholas", "Shirley", "Eric", "Brenda", "Jonathan", "Emma",
        "Tyler", "Olivia", "Brandon", "Madison", "Caleb", "Hannah", "Dylan", "Brittany", "Marcus", "Tanya",
    ]
    static let lastNames = [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
        "Cooper", "Reed", "Bailey", "Bell", "Murphy", "Brooks", "Sullivan", "Hayes", "Russell", "Coleman",
    ]
    static let notes = [
        "Lead from newsletter", "Prefers texts after 5pm", "Referred by a current customer", "Met at the Chattanooga home show",
        "Asked about financing options", "Repeat customer since 2019", "Wants a quote for spring service", "Call before visiting",
    ]
    static let agents = ["Amanda Reyes", "Marcus Hill", "Jordan Price", "API"]
    static let stores = ["Chattanooga", "Nashville", "Knoxville", "Memphis", "Brooklyn", "San Francisco"]
    /// `{first}` is the contact's first name (or "there").
    static let outbound = [
        "Hi {first}, this is Sandbox Services. Your appointment is confirmed for Tuesday at 10am.",
        "Hi {first}, just checking in. Do you have any questions about your estimate?",
        "Thanks for reaching out, {first}! A technician can stop by tomorrow between 1 and 3pm.",
        "Reminder: your service visit is scheduled for this Friday. Reply C to confirm or R to reschedule.",
        "Hi {first}, your order is ready for pickup at our front desk.",
        "Great news, {first}! Your warranty claim was approved.",
        "We have a 15% discount this week on maintenance plans. Want me to set one up?",
        "Sounds good, see you then!",
        "Could you send us a photo of the model number on the unit?",
        "Your invoice total is $184.50. Let us know if you have any questions.",
        "Thanks, {first}. I've updated your account.",
        "Happy holidays from all of us at Sandbox Services!",
    ]
    static let inbound = [
        "Yes that works for me", "Can we move it to Thursday?", "Thanks!", "What time will the tech arrive?",
        "Ok sounds good", "Do you have anything open next week?", "How much would that cost?", "C",
        "I'll be home after 2", "Got it, thank you", "Is the warranty transferable?", "Please call me when you can",
        "Perfect 👍", "Can you resend the invoice?", "Still waiting on a callback", "See you then",
    ]
    static let groups: [(name: String, notes: String?, keyword: Bool)] = [
        ("VIP Customers", "Top accounts by annual spend.", false),
        ("Newsletter", "Opted in to the monthly newsletter.", false),
        ("Service Reminders", "Contacts due for seasonal service.", false),
        ("Leads 2024", nil, false),
        ("Employees", "This list will hold all current employees.", false),
        ("DEALS", "Joined by texting DEALS.", true),
    ]
    static let tags: [(name: String, color: String)] = [
        ("Hot Lead", "#E74C3C"), ("Follow Up", "#1EB1C4"), ("Billing", "#F39C12"),
        ("Spanish", "#8E44AD"), ("Referral", "#27AE60"), ("Commercial", "#34495E"),
    ]
}
